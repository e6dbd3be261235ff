/**
 * The rate-limit model (src/model/rate-limit.ts): a fixed-window counter per key, a one-per-interval
 * gate, and the helpers the headers are computed from. The clock is injected: time moves only when
 * a test moves it.
 */
import { describe, expect, it } from 'vitest';
import { clientKey, FixedWindowCounter, IntervalGate, secondsUntil, warningThreshold } from '../../src/model/rate-limit.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('FixedWindowCounter', () => {
  it('allows `limit` events in a window; the limit-th is marked exceeded, and remaining counts down', () => {
    const t = clock();
    const counter = new FixedWindowCounter({ limit: 3, windowMs: 60_000 }, t.now);
    expect(counter.hit('k')).toEqual({ count: 1, limit: 3, remaining: 2, resetAt: t.now() + 60_000, exceeded: false });
    expect(counter.hit('k')).toMatchObject({ count: 2, remaining: 1, exceeded: false });
    expect(counter.hit('k')).toMatchObject({ count: 3, remaining: 0, exceeded: true });
    expect(counter.hit('k')).toMatchObject({ count: 4, remaining: 0, exceeded: true });
  });

  it('the window starts at a key’s first event and ends windowMs later; after it, counting starts over', () => {
    const t = clock();
    const counter = new FixedWindowCounter({ limit: 2, windowMs: 1_000 }, t.now);
    const first = counter.hit('k');
    t.advance(999);
    expect(counter.hit('k')).toMatchObject({ count: 2, exceeded: true, resetAt: first.resetAt });
    t.advance(1);
    expect(counter.hit('k')).toMatchObject({ count: 1, exceeded: false, resetAt: t.now() + 1_000 });
  });

  it('keys are independent', () => {
    const t = clock();
    const counter = new FixedWindowCounter({ limit: 1, windowMs: 1_000 }, t.now);
    expect(counter.hit('a').exceeded).toBe(true);
    expect(counter.peek('b')).toMatchObject({ count: 0, remaining: 1, exceeded: false });
  });

  it('peek counts nothing', () => {
    const t = clock();
    const counter = new FixedWindowCounter({ limit: 2, windowMs: 1_000 }, t.now);
    expect(counter.peek('k')).toEqual({ count: 0, limit: 2, remaining: 2, resetAt: t.now() + 1_000, exceeded: false });
    counter.hit('k');
    expect(counter.peek('k')).toMatchObject({ count: 1 });
    expect(counter.peek('k')).toMatchObject({ count: 1 });
  });

  it('reset forgets the key; refund takes one event back, never below zero', () => {
    const t = clock();
    const counter = new FixedWindowCounter({ limit: 5, windowMs: 1_000 }, t.now);
    counter.hit('k');
    counter.hit('k');
    counter.refund('k');
    expect(counter.peek('k').count).toBe(1);
    counter.refund('k');
    counter.refund('k');
    expect(counter.peek('k').count).toBe(0);
    counter.hit('k');
    counter.reset('k');
    expect(counter.peek('k').count).toBe(0);
    expect(counter.size).toBe(0);
  });

  it('raise adopts a higher count from elsewhere, never lowers one, and ignores a window already over', () => {
    const t = clock();
    const counter = new FixedWindowCounter({ limit: 5, windowMs: 1_000 }, t.now);
    counter.raise('k', 4, t.now() + 500);
    expect(counter.peek('k')).toMatchObject({ count: 4, resetAt: t.now() + 500 });
    counter.raise('k', 2, t.now() + 500);
    expect(counter.peek('k').count).toBe(4);
    expect(counter.hit('k')).toMatchObject({ count: 5, exceeded: true });
    counter.raise('other', 9, t.now());
    expect(counter.peek('other').count).toBe(0);
  });

  it('stays within maxKeys under a flood of distinct keys', () => {
    const t = clock();
    const counter = new FixedWindowCounter({ limit: 5, windowMs: 1_000 }, t.now, 100);
    for (let i = 0; i < 1_000; i++) counter.hit(`key-${i}`);
    expect(counter.size).toBeLessThanOrEqual(100);
    // The newest keys are kept; the oldest went first.
    expect(counter.peek('key-999').count).toBe(1);
    expect(counter.peek('key-0').count).toBe(0);
  });

  it('drops windows that are over before dropping live ones', () => {
    const t = clock();
    const counter = new FixedWindowCounter({ limit: 5, windowMs: 1_000 }, t.now, 4);
    counter.hit('old-1');
    counter.hit('old-2');
    t.advance(600);
    counter.hit('live-1');
    counter.hit('live-2');
    t.advance(500); // the two old windows are over, the live ones are not
    counter.hit('new');
    expect(counter.peek('live-1').count).toBe(1);
    expect(counter.peek('live-2').count).toBe(1);
    expect(counter.size).toBe(3);
  });

  it('refuses a rule that could never allow anything', () => {
    const t = clock();
    expect(() => new FixedWindowCounter({ limit: 0, windowMs: 1_000 }, t.now)).toThrow(/limit >= 1/);
    expect(() => new FixedWindowCounter({ limit: 1, windowMs: 0 }, t.now)).toThrow(/windowMs >= 1/);
    expect(() => new FixedWindowCounter({ limit: Number.NaN, windowMs: 1 }, t.now)).toThrow();
  });
});

describe('IntervalGate', () => {
  it('lets one claim through per interval per key, and says when the next may come', () => {
    const t = clock();
    const gate = new IntervalGate(1_000, t.now);
    const start = t.now();
    expect(gate.claim('k')).toEqual({ ok: true, retryAt: start + 1_000 });
    t.advance(400);
    expect(gate.claim('k')).toEqual({ ok: false, retryAt: start + 1_000 });
    expect(gate.claim('other').ok).toBe(true);
    t.advance(600);
    expect(gate.claim('k')).toEqual({ ok: true, retryAt: start + 2_000 });
  });

  it('a full gate forgets keys whose interval is over, and still admits a new key', () => {
    const t = clock();
    const gate = new IntervalGate(1_000, t.now, 2);
    gate.claim('a');
    gate.claim('b');
    t.advance(1_000);
    expect(gate.claim('c').ok).toBe(true);
    expect(gate.claim('a').ok).toBe(true);
  });
});

describe('helpers', () => {
  it('warningThreshold is 80 % of the limit, rounded up, at least 1', () => {
    expect(warningThreshold(10)).toBe(8);
    expect(warningThreshold(11)).toBe(9);
    expect(warningThreshold(1)).toBe(1);
    expect(warningThreshold(2)).toBe(2);
  });

  it('secondsUntil rounds up to whole seconds, at least 1', () => {
    expect(secondsUntil(10_000, 9_999)).toBe(1);
    expect(secondsUntil(10_000, 8_000)).toBe(2);
    expect(secondsUntil(10_000, 7_999)).toBe(3);
    expect(secondsUntil(10_000, 10_000)).toBe(1);
    expect(secondsUntil(10_000, 20_000)).toBe(1);
  });

  it('clientKey counts IPv4 per address and IPv6 per /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
    expect(clientKey('2001:0DB8:00aa:00bb:ffff::1')).toBe('2001:db8:aa:bb::/64');
    // Two addresses of the same /64, however written, share a key; another /64 does not.
    expect(clientKey('2001:db8::1')).toBe(clientKey('2001:db8:0:0:ffff:ffff:ffff:ffff'));
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('2001:db8:0:1::1')).not.toBe(clientKey('2001:db8::1'));
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey(undefined)).toBe('unknown');
    expect(clientKey(null)).toBe('unknown');
    expect(clientKey('')).toBe('unknown');
  });
});
