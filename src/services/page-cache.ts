/**
 * Rendered list pages kept in memory on this node. An entry is served only while the resource's
 * version (store/versions.ts, read on every request) is still the one it was rendered at, so a
 * change committed through any node invalidates it on every node at once. Bounded in entries and
 * bytes; the least recently used entry goes first.
 */
import { gzipSync } from 'node:zlib';

/** A response body that is already JSON, as UTF-8 bytes: sent as is, never serialized or encoded again. */
export class JsonText {
  readonly bytes: Buffer;
  private compressed: Buffer | undefined;

  constructor(text: string) {
    this.bytes = Buffer.from(text, 'utf8');
  }

  /**
   * The body gzip-compressed, computed at most once per rendered page: a cached 25 KiB page of
   * members shrinks about tenfold, and clients such as @sanity/client ask for gzip.
   */
  gzipped(): Buffer {
    this.compressed ??= gzipSync(this.bytes);
    return this.compressed;
  }
}

interface Entry {
  version: number;
  page: JsonText;
}

export class PageCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 2_000,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(key: string, version: number): JsonText | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.version !== version) {
      this.remove(key, entry);
      return undefined;
    }
    // Re-insert so the map's order stays least-recently-used first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.page;
  }

  set(key: string, version: number, page: JsonText): void {
    const existing = this.entries.get(key);
    if (existing) this.remove(key, existing);
    if (page.bytes.length > this.maxBytes / 4) return;
    this.entries.set(key, { version, page });
    // Counted twice: room for the compressed copy too, which is always smaller.
    this.bytes += 2 * page.bytes.length;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.remove(oldestKey, oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= 2 * entry.page.bytes.length;
  }
}
