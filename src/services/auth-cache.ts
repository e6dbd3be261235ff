/**
 * The per-node authorization cache: resolved credentials, access (principal × resource), and the
 * resource versions cached pages are rendered at. It is never wrong for longer than these rules
 * allow (docs/architecture.md, "Caches"):
 *
 * 1. The node that makes a change forgets what it invalidates right after the commit, before it
 *    answers (store/changes.ts), so its very next request sees the change.
 * 2. Other nodes learn it from a change feed (services/change-feed.ts): PostgreSQL `LISTEN/NOTIFY`,
 *    or, on SQLite, the `data_version` counter read before each use. The cache is only served while
 *    the feed vouches for it (`fresh()`); on PostgreSQL that is while the listening connection has
 *    answered a heartbeat sent less than a second ago. Otherwise every lookup reads the database,
 *    as if there were no cache, until the feed has re-subscribed and everything was forgotten.
 * 3. A lookup that raced a change never stores its result: every invalidation advances `epoch`,
 *    and a result read under an older epoch is returned but not kept.
 * 4. Nothing time-based is cached as a decision: expiry and rotation grace periods are compared
 *    with the clock on every request (services/auth.ts).
 *
 * Bounded in entries and (estimated) bytes per table; entries not read recently go first (CLOCK).
 */
import type { Access } from '../model/policy.js';
import type { Principal } from '../model/principals.js';
import type { Change } from '../store/changes.js';

/** Whether the caches may be served right now; may forget everything first (SQLite). */
export interface Freshness {
  fresh(): boolean;
  /** For metrics and tests: `live`, `connecting`, `lost`, `sqlite`, or `none`. */
  readonly state: string;
}

const NO_FEED: Freshness = { fresh: () => false, state: 'none' };

/** A credential as authentication needs it (store/tokens.ts `findCredential`), kept per token. */
export interface CredentialRow {
  id: string;
  kind: string;
  digest: string;
  principal_id: string;
  expires_at: string | null;
  revoked_at: string | null;
  replaced_by: string | null;
  last_used_at: string | null;
  created_at: string;
  email: string | null;
  display_name: string | null;
  disabled_at: string | null;
  image_url: string | null;
  provider: string | null;
  label: string | null;
  resource_type: string | null;
  resource_id: string | null;
  robot_expires_at: string | null;
}

/**
 * One cached credential. Extension points for per-credential rules live here: `lastUsedAt` is this
 * node's latest use of the credential (ms), kept on every request, so an inactivity timeout is one
 * comparison on the hot path.
 */
export interface CredentialEntry {
  row: CredentialRow;
  /** The principal, built once; null when the owner is gone. */
  principal: Principal | null;
  /** Expiry and end of the rotation grace period, as epoch ms (compared with the clock per request). */
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  /** Latest use seen by this node, ms (the database's `last_used_at` until this node sees one). */
  lastUsedAt: number;
  /** When this node last queued a `last_used_at` write for it (bookkeeping throttle), ms. */
  lastRecordedAt: number;
}

/** The membership behind an access entry, for `lastSeenAt` bookkeeping. */
export interface SeenMembership {
  id: string;
  resourceType: string;
  resourceId: string;
  /** When `last_seen_at` was last written or queued (ms; from the database at first). */
  lastRecordedAt: number;
}

export interface AccessEntry {
  access: Access | null;
  membership: SeenMembership | null;
  /** The governing organization's policy, loaded the first time a `managesAccess` route needs it. */
  policy?: Access['organizationPolicy'] | null;
}

interface Slot<V> {
  value: V;
  bytes: number;
  tags: readonly string[];
  /** Read since the eviction hand last passed it (second chance). */
  used: boolean;
}

/**
 * A Map with tags (an entry is dropped by any of its tags), bounded in entries and bytes. Eviction
 * is CLOCK, an approximation of least-recently-used: a hit only sets a flag, and an entry is evicted
 * when the hand (the Map's insertion order) reaches it unread since its last pass; a read entry gets
 * a second chance at the back. A hit therefore costs one Map lookup and no reordering, which matters
 * on the hot path: deleting and re-inserting a key on every hit, as a strict LRU does, was the
 * cache's largest cost per request.
 */
export class TaggedLru<V> {
  private readonly entries = new Map<string, Slot<V>>();
  private readonly tagged = new Map<string, Set<string>>();
  bytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const slot = this.entries.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  set(key: string, value: V, bytes: number, tags: readonly string[]): void {
    this.delete(key);
    this.entries.set(key, { value, bytes, tags, used: false });
    this.bytes += bytes;
    for (const tag of tags) {
      let keys = this.tagged.get(tag);
      if (!keys) {
        keys = new Set();
        this.tagged.set(tag, keys);
      }
      keys.add(key);
    }
    // A read entry gets a second chance at the back, and so does the new one while others remain;
    // after one pass every flag is cleared, so this ends.
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [oldest, slot] = this.entries.entries().next().value as [string, Slot<V>];
      if (oldest === key ? this.entries.size > 1 : slot.used) {
        slot.used = false;
        this.entries.delete(oldest);
        this.entries.set(oldest, slot);
      } else {
        this.delete(oldest);
      }
    }
  }

  delete(key: string): boolean {
    const slot = this.entries.get(key);
    if (!slot) return false;
    this.entries.delete(key);
    this.bytes -= slot.bytes;
    for (const tag of slot.tags) {
      const keys = this.tagged.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.tagged.delete(tag);
    }
    return true;
  }

  /** Drops every entry with this tag; returns how many. */
  deleteTag(tag: string): number {
    const keys = this.tagged.get(tag);
    if (!keys) return 0;
    let n = 0;
    for (const key of [...keys]) if (this.delete(key)) n++;
    return n;
  }

  clear(): void {
    this.entries.clear();
    this.tagged.clear();
    this.bytes = 0;
  }
}

/** Counters for the metrics endpoint (plain numbers: no cost on the hot path). */
export interface CacheStats {
  hits: Record<'credential' | 'access' | 'version', number>;
  misses: Record<'credential' | 'access' | 'version', number>;
  /** Lookups that read the database because the feed did not vouch for the cache. */
  bypassed: number;
  /** Changes applied, by kind letter (`p`, `t`, `m`, `r`, `v`, `*`). */
  invalidations: Record<string, number>;
  /** Everything forgotten at once (resynchronisation, another SQLite process wrote). */
  flushes: number;
}

export interface AuthCacheLimits {
  credentials: number;
  access: number;
  versions: number;
  bytes: number;
}

const DEFAULT_LIMITS: AuthCacheLimits = { credentials: 100_000, access: 200_000, versions: 100_000, bytes: 64 * 1024 * 1024 };

/** Rough heap cost of an entry: its strings (UTF-16) and object overhead. */
function estimate(...texts: Array<string | null | undefined>): number {
  let n = 256;
  for (const t of texts) if (t) n += 2 * t.length;
  return n;
}

export class AuthCache {
  /** Advanced by every invalidation: a lookup started under an older epoch does not store. */
  epoch = 0;
  private freshness: Freshness = NO_FEED;
  readonly credentials: TaggedLru<CredentialEntry>;
  readonly access: TaggedLru<AccessEntry>;
  private readonly versions = new Map<string, number>();
  readonly stats: CacheStats = {
    hits: { credential: 0, access: 0, version: 0 },
    misses: { credential: 0, access: 0, version: 0 },
    bypassed: 0,
    invalidations: {},
    flushes: 0,
  };

  constructor(private readonly limits: AuthCacheLimits = DEFAULT_LIMITS) {
    this.credentials = new TaggedLru(limits.credentials, limits.bytes / 2);
    this.access = new TaggedLru(limits.access, limits.bytes / 2);
  }

  /** Connects the feed that vouches for the cache (until then nothing is served from it). */
  attach(freshness: Freshness): void {
    this.freshness = freshness;
    this.flush();
  }

  get feedState(): string {
    return this.freshness.state;
  }

  /** Whether entries may be served now. Cheap: a clock comparison, or SQLite's `data_version`. */
  fresh(): boolean {
    return this.freshness.fresh();
  }

  // --- credentials ------------------------------------------------------------------------------

  getCredential(key: string): CredentialEntry | undefined {
    if (!this.fresh()) {
      this.stats.bypassed++;
      return undefined;
    }
    const entry = this.credentials.get(key);
    if (entry) this.stats.hits.credential++;
    else this.stats.misses.credential++;
    return entry;
  }

  setCredential(key: string, entry: CredentialEntry, epoch: number): void {
    if (epoch !== this.epoch || !this.fresh()) return;
    const r = entry.row;
    this.credentials.set(
      key,
      entry,
      estimate(key, r.id, r.digest, r.principal_id, r.email, r.display_name, r.label, r.resource_id),
      [`p:${r.principal_id}`, `t:${r.id}`],
    );
  }

  // --- access -----------------------------------------------------------------------------------

  static accessKey(principalId: string, type: string, id: string): string {
    return `${principalId} ${type} ${id}`;
  }

  getAccess(key: string): AccessEntry | undefined {
    if (!this.fresh()) {
      this.stats.bypassed++;
      return undefined;
    }
    const entry = this.access.get(key);
    if (entry) this.stats.hits.access++;
    else this.stats.misses.access++;
    return entry;
  }

  setAccess(key: string, principalId: string, type: string, id: string, entry: AccessEntry, epoch: number): void {
    if (epoch !== this.epoch || !this.fresh()) return;
    const names = entry.access ? entry.access.roleNames.join() + [...entry.access.grants].join() : '';
    // An organization-wide change reaches its projects' entries through the `project` tag.
    this.access.set(key, entry, estimate(key, names), [`p:${principalId}`, `r:${type}:${id}`, `r:${type}`]);
  }

  // --- resource versions (cached pages) ---------------------------------------------------------

  getVersion(type: string, id: string): number | undefined {
    if (!this.fresh()) {
      this.stats.bypassed++;
      return undefined;
    }
    const v = this.versions.get(`${type}:${id}`);
    if (v === undefined) this.stats.misses.version++;
    else this.stats.hits.version++;
    return v;
  }

  setVersion(type: string, id: string, version: number, epoch: number): void {
    if (epoch !== this.epoch || !this.fresh()) return;
    if (this.versions.size >= this.limits.versions) this.versions.clear();
    this.versions.set(`${type}:${id}`, version);
  }

  // --- invalidation -----------------------------------------------------------------------------

  /** Applies a batch of changes (store/changes.ts) from this process or from another node. */
  apply(batch: readonly Change[]): void {
    this.epoch++;
    for (const change of batch) {
      const kind = change[0] ?? '?';
      this.stats.invalidations[kind] = (this.stats.invalidations[kind] ?? 0) + 1;
      switch (kind) {
        case 'p':
          this.credentials.deleteTag(change);
          this.access.deleteTag(change);
          break;
        case 't':
          this.credentials.deleteTag(change);
          break;
        case 'm':
          this.access.deleteTag(`p:${change.slice(2)}`);
          break;
        case 'r': {
          this.access.deleteTag(change);
          // An organization's roles and policy reach into its projects: forget all project access.
          if (change.startsWith('r:organization:')) this.access.deleteTag('r:project');
          break;
        }
        case 'v':
          this.versions.delete(change.slice(2));
          break;
        default:
          this.clearAll();
      }
    }
  }

  /** Forgets everything (a resynchronisation, or another SQLite process committed). */
  flush(): void {
    this.epoch++;
    this.stats.flushes++;
    this.clearAll();
  }

  private clearAll(): void {
    this.credentials.clear();
    this.access.clear();
    this.versions.clear();
  }
}
