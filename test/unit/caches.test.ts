/**
 * The per-node caches' bookkeeping (services/auth-cache.ts, services/page-cache.ts): bounds in
 * entries and bytes, CLOCK eviction (an entry read since the hand last passed survives one more
 * round, an unread one goes first), tags, and pages served only at the version they were rendered at.
 */
import { describe, expect, it } from 'vitest';
import { TaggedLru } from '../../src/services/auth-cache.js';
import { JsonText, PageCache } from '../../src/services/page-cache.js';

describe('TaggedLru', () => {
  it('keeps at most maxEntries, evicting the oldest unread entry first', () => {
    const cache = new TaggedLru<number>(3, 1_000_000);
    cache.set('a', 1, 10, []);
    cache.set('b', 2, 10, []);
    cache.set('c', 3, 10, []);
    expect(cache.get('a')).toBe(1); // read: gets a second chance
    cache.set('d', 4, 10, []);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined(); // oldest unread
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.get('d')).toBe(4);
  });

  it('evicts a read entry once everything older was read too (one second chance each)', () => {
    const cache = new TaggedLru<number>(2, 1_000_000);
    cache.set('a', 1, 10, []);
    cache.set('b', 2, 10, []);
    cache.get('a');
    cache.get('b');
    cache.set('c', 3, 10, []);
    expect(cache.size).toBe(2);
    expect(cache.get('c')).toBe(3);
    expect([cache.get('a'), cache.get('b')].filter((v) => v !== undefined)).toHaveLength(1);
  });

  it('keeps its bytes under maxBytes, and an entry larger than the bound is not kept', () => {
    const cache = new TaggedLru<string>(100, 100);
    cache.set('a', 'x', 40, []);
    cache.set('b', 'y', 40, []);
    cache.set('c', 'z', 40, []);
    expect(cache.bytes).toBeLessThanOrEqual(100);
    expect(cache.get('a')).toBeUndefined();
    cache.set('huge', 'w', 500, []);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.bytes).toBeLessThanOrEqual(100);
  });

  it('drops every entry of a tag, and replacing a key moves its bytes and tags', () => {
    const cache = new TaggedLru<number>(100, 1_000_000);
    cache.set('k1', 1, 10, ['p:alice', 't:1']);
    cache.set('k2', 2, 10, ['p:alice', 't:2']);
    cache.set('k3', 3, 10, ['p:bob']);
    expect(cache.deleteTag('p:alice')).toBe(2);
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k3')).toBe(3);
    cache.set('k3', 4, 30, ['p:carol']);
    expect(cache.bytes).toBe(30);
    expect(cache.deleteTag('p:bob')).toBe(0);
    expect(cache.deleteTag('p:carol')).toBe(1);
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });
});

describe('PageCache', () => {
  const page = (text: string) => new JsonText(text);

  it('serves a page only at the version it was rendered at', () => {
    const cache = new PageCache();
    cache.set('p', 1, page('{"v":1}'));
    expect(cache.get('p', 2)).toBeUndefined();
    expect(cache.get('p', 1)).toBeUndefined(); // dropped when a newer version was asked for
    cache.set('p', 2, page('{"v":2}'));
    expect(cache.get('p', 2)?.bytes.toString()).toBe('{"v":2}');
  });

  it('keeps at most maxEntries and maxBytes, read pages surviving unread ones', () => {
    const cache = new PageCache(2, 1_000_000);
    cache.set('a', 1, page('"a"'));
    cache.set('b', 1, page('"b"'));
    cache.get('a', 1);
    cache.set('c', 1, page('"c"'));
    expect(cache.size).toBe(2);
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toBeDefined();
    const small = new PageCache(100, 4 * 20);
    small.set('big', 1, page('x'.repeat(30))); // counted twice (room for gzip): over a quarter of the bound
    expect(small.get('big', 1)).toBeUndefined();
    small.set('a', 1, page('x'.repeat(10)));
    small.set('b', 1, page('x'.repeat(10)));
    small.set('c', 1, page('x'.repeat(10)));
    small.set('d', 1, page('x'.repeat(10)));
    small.set('e', 1, page('x'.repeat(10)));
    expect(small.bytes).toBeLessThanOrEqual(80);
  });
});
