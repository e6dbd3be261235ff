/**
 * Rendered list pages kept in memory on this node. An entry is served only while the resource's
 * version (store/versions.ts, read on every request) is still the one it was rendered at, so a
 * change committed through any node invalidates it on every node at once. Bounded in entries and
 * bytes; the least recently used entry goes first.
 */

/** A response body that is already JSON, as UTF-8 bytes: sent as is, never serialized or encoded again. */
export class JsonText {
  readonly bytes: Buffer;
  constructor(text: string | Buffer) {
    this.bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  }
}

interface Entry {
  version: number;
  text: Buffer;
}

export class PageCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 2_000,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(key: string, version: number): Buffer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.version !== version) {
      this.remove(key, entry);
      return undefined;
    }
    // Re-insert so the map's order stays least-recently-used first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.text;
  }

  set(key: string, version: number, text: Buffer): void {
    const existing = this.entries.get(key);
    if (existing) this.remove(key, existing);
    if (text.length > this.maxBytes / 4) return;
    this.entries.set(key, { version, text });
    this.bytes += text.length;
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
    this.bytes -= entry.text.length;
  }
}
