/**
 * Rendered pages (member lists, project views) kept in memory on this node. An entry is served only
 * while the resource's version (store/versions.ts) is still the one it was rendered at. A warm node
 * knows the current version from the authorization cache, which the change feed keeps exact
 * (services/auth-cache.ts), so a change committed through any node reaches every node's pages
 * within the cache's rules, without a version read per request. Bounded in entries and bytes; pages
 * not read recently go first (CLOCK: a hit sets a flag rather than reordering the map).
 */
declare const body: unique symbol;

/**
 * A response body that is already JSON, as UTF-8 bytes: sent as is, never serialized or encoded again.
 * `T` is the value the bytes encode (for the type checker only: a route's handler may return a
 * `JsonText<T>` where its response schema says `T`, see `RouteResult` in src/http/route.ts).
 */
export class JsonText<T = unknown> {
  /** Never set: carries `T` for the type checker. */
  declare readonly [body]?: T;
  readonly bytes: Buffer;

  constructor(text: string | Buffer) {
    this.bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  }

  /** `value` serialized, keeping its type. */
  static of<T>(value: T): JsonText<T> {
    return new JsonText<T>(JSON.stringify(value));
  }

  get byteLength(): number {
    return this.bytes.length;
  }
}

interface Entry<T> {
  version: number;
  page: T;
  size: number;
  /** Read since the eviction hand last passed it (CLOCK, as in services/auth-cache.ts). */
  used: boolean;
}

export class PageCache<T extends { readonly byteLength: number } = JsonText> {
  private readonly entries = new Map<string, Entry<T>>();
  bytes = 0;

  constructor(
    private readonly maxEntries = 2_000,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(key: string, version: number): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.version !== version) {
      this.remove(key, entry);
      return undefined;
    }
    entry.used = true;
    return entry.page;
  }

  set(key: string, version: number, page: T): void {
    const existing = this.entries.get(key);
    if (existing) this.remove(key, existing);
    // Counted twice: room for the compressed copy too, which is always smaller.
    const size = 2 * page.byteLength;
    if (size > this.maxBytes / 4) return;
    this.entries.set(key, { version, page, size, used: false });
    this.bytes += size;
    // Pages not read since the hand last passed go first; a read one, and the new one while others
    // remain, get a second chance at the back. After one pass every flag is cleared, so this ends.
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry<T>];
      if (oldestKey === key ? this.entries.size > 1 : oldest.used) {
        oldest.used = false;
        this.entries.delete(oldestKey);
        this.entries.set(oldestKey, oldest);
      } else {
        this.remove(oldestKey, oldest);
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(key: string, entry: Entry<T>): void {
    this.entries.delete(key);
    this.bytes -= entry.size;
  }
}
