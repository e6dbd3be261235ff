/**
 * A fixed-window counter: at most `limit` events per key in each window of `windowMs`, the window
 * starting at a key's first event. Pure: the clock is injected, and the state is a plain map that
 * lives as long as the counter (in Gatehouse, one per server node).
 *
 * The map is bounded: when it reaches `maxKeys`, windows that are over are dropped, and if it is
 * still full the oldest half goes. A flood of distinct keys can therefore forget some counts early
 * (an attacker gets a fresh window sooner), but never exhausts memory.
 */

export interface RateLimitRule {
  /** Events allowed per window; the next one is refused. */
  limit: number;
  windowMs: number;
}

export interface WindowState {
  /** Events counted in the current window. */
  count: number;
  limit: number;
  remaining: number;
  /** When the current window ends (ms since the epoch); for a key with no window, now + windowMs. */
  resetAt: number;
  /** True when the limit is reached: the next event must wait until `resetAt`. */
  exceeded: boolean;
}

interface Window {
  count: number;
  resetAt: number;
}

export const DEFAULT_MAX_KEYS = 100_000;

export class FixedWindowCounter {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly rule: RateLimitRule,
    private readonly now: () => number,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {
    if (!(rule.limit >= 1) || !(rule.windowMs >= 1)) throw new Error('a rate limit needs limit >= 1 and windowMs >= 1');
  }

  /** The key's current window, without counting anything. */
  peek(key: string): WindowState {
    const now = this.now();
    const window = this.live(key, now);
    return this.state(window?.count ?? 0, window?.resetAt ?? now + this.rule.windowMs);
  }

  /** Counts one event for the key and returns the window after it. */
  hit(key: string): WindowState {
    const now = this.now();
    let window = this.live(key, now);
    if (!window) {
      this.makeRoom(now);
      window = { count: 0, resetAt: now + this.rule.windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return this.state(window.count, window.resetAt);
  }

  /** Forgets the key's window (a success that ends a run of failures). */
  reset(key: string): void {
    this.windows.delete(key);
  }

  /** Takes one event back (an attempt counted up front that turned out not to be a failure). */
  refund(key: string): void {
    const window = this.live(key, this.now());
    if (window && window.count > 0) window.count -= 1;
  }

  /**
   * Raises the key's count to `count` (what another node counted, read from a shared store) in a
   * window ending at `resetAt`; never lowers it.
   */
  raise(key: string, count: number, resetAt: number): void {
    const now = this.now();
    if (resetAt <= now) return;
    const window = this.live(key, now);
    if (window) {
      window.count = Math.max(window.count, count);
      return;
    }
    this.makeRoom(now);
    this.windows.set(key, { count, resetAt });
  }

  /** How many keys are tracked (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  private live(key: string, now: number): Window | undefined {
    const window = this.windows.get(key);
    if (window && window.resetAt <= now) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }

  private state(count: number, resetAt: number): WindowState {
    const { limit } = this.rule;
    return { count, limit, remaining: Math.max(0, limit - count), resetAt, exceeded: count >= limit };
  }

  private makeRoom(now: number): void {
    if (this.windows.size < this.maxKeys) return;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    if (this.windows.size < this.maxKeys) return;
    // Still full of live windows: drop the oldest half (a Map iterates in insertion order).
    let drop = Math.ceil(this.windows.size / 2);
    for (const key of this.windows.keys()) {
      if (drop-- <= 0) break;
      this.windows.delete(key);
    }
  }
}

/**
 * One event per interval per key (the slowdown of an account under attack): `claim` succeeds at most
 * once per `intervalMs`, and otherwise says when the next claim can. Bounded like the counter.
 */
export class IntervalGate {
  private readonly next = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  claim(key: string): { ok: boolean; retryAt: number } {
    const now = this.now();
    const next = this.next.get(key) ?? 0;
    if (next > now) return { ok: false, retryAt: next };
    if (this.next.size >= this.maxKeys) {
      for (const [k, at] of this.next) if (at <= now) this.next.delete(k);
      if (this.next.size >= this.maxKeys) this.next.clear();
    }
    this.next.set(key, now + this.intervalMs);
    return { ok: true, retryAt: now + this.intervalMs };
  }
}

/** The count at which a limit's early warning is due: 80 % of it, at least 1. */
export function warningThreshold(limit: number): number {
  return Math.max(1, Math.ceil(limit * 0.8));
}

/** Whole seconds until `resetAt`, at least 1: what `Retry-After` and `RateLimit-Reset` carry. */
export function secondsUntil(resetAt: number, now: number): number {
  return Math.max(1, Math.ceil((resetAt - now) / 1000));
}

/** A window as an answer reports it (the `RateLimit-*` headers, written by src/http/headers.ts). */
export interface RateLimitReport {
  limit: number;
  remaining: number;
  /** Whole seconds until the window resets, at least 1. */
  resetSeconds: number;
}

/** The report of a window at `now`. */
export function reportOf(state: Pick<WindowState, 'limit' | 'remaining' | 'resetAt'>, now: number): RateLimitReport {
  return { limit: state.limit, remaining: state.remaining, resetSeconds: secondsUntil(state.resetAt, now) };
}

/**
 * The key of a client address. An IPv6 host usually owns a whole /64, so IPv6 addresses count per
 * /64 prefix; IPv4 (also when mapped into IPv6) counts per address.
 */
export function clientKey(ip: string | null | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!ip.includes(':')) return ip;
  const address = ip.split('%')[0] ?? ip;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (g.replace(/^0+(?=.)/, '') || '0').toLowerCase())
    .join(':')}::/64`;
}
