/**
 * `lastUsedAt` / `lastUsedIp` of tokens and `lastSeenAt` of memberships, off the request path.
 *
 * A request only notes, in memory, that a credential was used (at most once per token, and per
 * membership, per `lastUsedWriteIntervalMs`, as before). The notes are written, one row per
 * transaction, every `flushIntervalMs` (1 s by default), when the server shuts down gracefully,
 * and before this node reads the values back (`settle()`: the robot, token, member and project
 * views call it), so a node always shows its own latest bookkeeping. Another node shows it once it
 * was flushed. Writes only move the times forward, so nodes flushing out of order never set one
 * back.
 */
import { touchMembership } from '../store/memberships.js';
import { recordTokenUse } from '../store/tokens.js';
import { type Deps, inTransaction } from './context.js';

interface TokenUse {
  at: string;
  ip: string | null;
}

interface MemberSeen {
  id: string;
  resourceType: string;
  resourceId: string;
  at: string;
}

export class Bookkeeping {
  private tokens = new Map<string, TokenUse>();
  private members = new Map<string, MemberSeen>();
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Rows written since start, and flushes that failed (kept for the next flush). */
  written = 0;
  failures = 0;

  constructor(private readonly deps: Deps) {}

  get pending(): number {
    return this.tokens.size + this.members.size;
  }

  noteTokenUse(tokenId: string, at: string, ip: string | null): void {
    this.tokens.set(tokenId, { at, ip });
  }

  noteMemberSeen(membership: { id: string; resourceType: string; resourceId: string }, at: string): void {
    this.members.set(membership.id, { ...membership, at });
  }

  /** Flushes every `intervalMs` in the background (the timer never keeps the process alive). */
  start(intervalMs: number, onError?: (error: unknown) => void): void {
    this.stop();
    this.timer = setInterval(() => {
      if (this.pending > 0) this.flush().catch((error: unknown) => onError?.(error));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Before reading bookkeeping values back: nothing to do (and no promise) when nothing is pending,
   * else the flush that writes it.
   */
  settle(): Promise<void> | undefined {
    if (this.pending === 0 && this.flushing === null) return undefined;
    return this.flush();
  }

  /** Writes everything noted so far; concurrent callers share one flush, then run the next. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending === 0) return;
    const tokens = this.tokens;
    const members = this.members;
    this.tokens = new Map();
    this.members = new Map();
    this.flushing = this.write(tokens, members);
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Each row in a transaction of its own. A flush then holds one row's lock at a time (and, for a
   * membership, its resource's version, taken last as every transaction does: store/changes.ts),
   * so it never waits for a lock while holding another, and no request's transaction can deadlock
   * with it. One transaction for the whole batch did, on PostgreSQL: it locked the old token, then
   * waited for the new one, which a rotation had locked before it went on to end the old one.
   */
  private async write(tokens: Map<string, TokenUse>, members: Map<string, MemberSeen>): Promise<void> {
    try {
      for (const [id, use] of tokens) {
        await inTransaction(this.deps, (trx) => recordTokenUse(trx, { id, ...use }));
        tokens.delete(id);
        this.written++;
      }
      for (const [id, seen] of members) {
        await inTransaction(this.deps, (trx) => touchMembership(trx, seen));
        members.delete(id);
        this.written++;
      }
    } catch (error) {
      this.failures++;
      // Keep what was not written, unless newer notes replaced it meanwhile.
      for (const [id, use] of tokens) if (!this.tokens.has(id)) this.tokens.set(id, use);
      for (const [id, seen] of members) if (!this.members.has(id)) this.members.set(id, seen);
      throw error;
    }
  }
}

/** Before reading `lastUsedAt` / `lastSeenAt` back: this node's pending notes are written first. */
export async function settled(deps: Deps): Promise<void> {
  const pending = bookkeepingOf(deps).settle();
  if (pending) await pending;
}

const perNode = new WeakMap<Deps, Bookkeeping>();

/** The one bookkeeping queue of a server (its `Deps`). */
export function bookkeepingOf(deps: Deps): Bookkeeping {
  let queue = perNode.get(deps);
  if (!queue) {
    queue = new Bookkeeping(deps);
    perNode.set(deps, queue);
  }
  return queue;
}
