/**
 * The audit log's hash chain (src/model/audit-chain.ts): every event hashes all of its stored
 * fields and links to the one before it, so changing, deleting, inserting or reordering an event is
 * found, at the first event where it happens.
 *
 * The last block holds the chain to the storage row: every column of `audit_events`, in the row
 * type of the store and in a migrated database, is either hashed (`AUDIT_CHAINED_FIELDS`) or
 * declared as outside the hash (`AUDIT_UNCHAINED_FIELDS`, the hash itself). A column added to the
 * table and forgotten in the chain would go unprotected; it fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_CHAINED_FIELDS,
  AUDIT_UNCHAINED_FIELDS,
  type AuditChainedField,
  type AuditUnchainedField,
  CANONICAL_END,
  CANONICAL_LINK,
  CHAIN_START,
  type ChainedFields,
  canonicalEvent,
  canonicalPrefix,
  chainEvent,
  eventHash,
  GENESIS_HASH,
  type StoredEvent,
  verifyChain,
} from '../../src/model/audit-chain.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { AuditEventsTable } from '../../src/store/schema.js';

type Content = Omit<ChainedFields, 'sequence' | 'previous_hash'>;

function content(i: number, overrides: Partial<Content> = {}): Content {
  return {
    id: `evt-${i}`,
    at: `2025-01-0${(i % 9) + 1}T10:00:00.000Z`,
    action: 'member.role.add',
    resource_type: 'project',
    resource_id: 'p1',
    actor_kind: 'user',
    actor_id: 'u1',
    actor_token_id: 't1',
    target_type: 'user',
    target_id: `u${i + 1}`,
    before: JSON.stringify({ roles: ['viewer'] }),
    after: JSON.stringify({ roles: ['viewer', 'editor'] }),
    ip: '203.0.113.7',
    user_agent: 'test',
    request_id: `req-${i}`,
    ...overrides,
  };
}

/** Writes a chain the way the store does: sequence 1, 2, …, each linked to the hash before it. */
function chain(events: readonly Content[]): StoredEvent[] {
  let previous = GENESIS_HASH;
  return events.map((event, i) => {
    const fields: ChainedFields = { ...event, sequence: i + 1, previous_hash: previous };
    const hash = eventHash(fields);
    previous = hash;
    return { ...fields, hash };
  });
}

const EVENTS = chain([1, 2, 3, 4, 5].map((i) => content(i)));

describe('hashing', () => {
  it('is SHA-256 hex, and the same content always hashes alike', () => {
    const fields: ChainedFields = { ...content(1), sequence: 1, previous_hash: GENESIS_HASH };
    expect(eventHash(fields)).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash({ ...fields })).toBe(eventHash(fields));
  });

  it('does not depend on the order of an object’s keys', () => {
    const fields: ChainedFields = { ...content(1), sequence: 1, previous_hash: GENESIS_HASH };
    const reversed = Object.fromEntries(Object.entries(fields).reverse()) as unknown as ChainedFields;
    expect(canonicalEvent(reversed)).toBe(canonicalEvent(fields));
  });

  it('changes with every single field, null versus empty string included', () => {
    const fields: ChainedFields = { ...content(1), sequence: 1, previous_hash: GENESIS_HASH };
    const base = eventHash(fields);
    for (const key of Object.keys(fields) as (keyof ChainedFields)[]) {
      const changed = key === 'sequence' ? { ...fields, sequence: 2 } : { ...fields, [key]: `${fields[key] ?? ''}x` };
      expect(eventHash(changed), key).not.toBe(base);
    }
    expect(eventHash({ ...fields, ip: '' })).not.toBe(eventHash({ ...fields, ip: null }));
  });

  it('has not changed: logs written before still verify', () => {
    const fields: ChainedFields = { ...content(1, { target_id: 'u2' }), sequence: 1, previous_hash: GENESIS_HASH };
    expect(canonicalEvent(fields)).toBe(
      '[["id","evt-1"],["at","2025-01-02T10:00:00.000Z"],["action","member.role.add"],["resource_type","project"],["resource_id","p1"],["actor_kind","user"],["actor_id","u1"],["actor_token_id","t1"],["target_type","user"],["target_id","u2"],["before","{\\"roles\\":[\\"viewer\\"]}"],["after","{\\"roles\\":[\\"viewer\\",\\"editor\\"]}"],["ip","203.0.113.7"],["user_agent","test"],["request_id","req-1"],["sequence",1],["previous_hash","0000000000000000000000000000000000000000000000000000000000000000"]]',
    );
    expect(eventHash(fields)).toBe('30274d3617161da97969df143bce9cf47eb0d0b8d201ad29126273772a2aa006');
    expect(eventHash({ ...fields, before: null, ip: null, sequence: 2 })).toBe(
      '96147239b5a9ae3a2db70efee114fee2b901578e21acbef137e2cbee22a7af02',
    );
  });

  it('chainEvent places an event after the head and hashes it as the verifier does', () => {
    const row = chainEvent(content(1), { sequence: 41, hash: GENESIS_HASH });
    expect(row).toMatchObject({ sequence: 42, previous_hash: GENESIS_HASH });
    expect(row.hash).toBe(eventHash(row));
  });

  it('is unambiguous: moving text from one field to the next changes the hash', () => {
    const a: ChainedFields = {
      ...content(1, { resource_type: 'pro', resource_id: 'jectp1' }),
      sequence: 1,
      previous_hash: GENESIS_HASH,
    };
    const b: ChainedFields = {
      ...content(1, { resource_type: 'project', resource_id: 'p1' }),
      sequence: 1,
      previous_hash: GENESIS_HASH,
    };
    expect(eventHash(a)).not.toBe(eventHash(b));
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain, and reports how far it got', () => {
    const result = verifyChain(CHAIN_START, EVENTS);
    expect(result.break).toBeNull();
    expect(result.state).toEqual({ count: 5, sequence: 5, hash: EVENTS[4]?.hash });
  });

  it('verifies in batches: the state after one batch continues into the next', () => {
    const first = verifyChain(CHAIN_START, EVENTS.slice(0, 2));
    const second = verifyChain(first.state, EVENTS.slice(2));
    expect(second).toEqual(verifyChain(CHAIN_START, EVENTS));
  });

  it('an empty log is intact', () => {
    expect(verifyChain(CHAIN_START, [])).toEqual({ state: CHAIN_START, break: null });
  });

  it('finds a changed field (content altered, hash kept) at that event', () => {
    const altered = EVENTS.map((e, i) => (i === 2 ? { ...e, after: JSON.stringify({ roles: ['administrator'] }) } : e));
    const result = verifyChain(CHAIN_START, altered);
    expect(result.break).toMatchObject({ kind: 'hash_mismatch', sequence: 3, eventId: 'evt-3', actual: EVENTS[2]?.hash });
    expect(result.state.count).toBe(2);
  });

  it('finds an event rewritten with a fresh hash at the next event, whose link no longer holds', () => {
    const rewritten = EVENTS.map((e) => ({ ...e }));
    const third = rewritten[2] as StoredEvent;
    third.actor_id = 'u-intruder';
    third.hash = eventHash({ ...third, sequence: 3, previous_hash: third.previous_hash ?? '' });
    const result = verifyChain(CHAIN_START, rewritten);
    expect(result.break).toMatchObject({ kind: 'broken_link', sequence: 4, eventId: 'evt-4', expected: third.hash });
  });

  it('finds a deleted event as a gap', () => {
    const result = verifyChain(CHAIN_START, [EVENTS[0], EVENTS[1], EVENTS[3], EVENTS[4]] as StoredEvent[]);
    expect(result.break).toMatchObject({ kind: 'gap', sequence: 3, eventId: 'evt-4', expected: 3, actual: 4 });
  });

  it('finds the deletion of the last events only by their absence: the head is what the caller compares', () => {
    const result = verifyChain(CHAIN_START, EVENTS.slice(0, 3));
    expect(result.break).toBeNull();
    expect(result.state.sequence).toBe(3);
    expect(result.state.hash).not.toBe(EVENTS[4]?.hash);
  });

  it('finds an inserted event', () => {
    const forged = { ...EVENTS[1], id: 'evt-forged' } as StoredEvent;
    const result = verifyChain(CHAIN_START, [EVENTS[0], EVENTS[1], forged, ...EVENTS.slice(2)] as StoredEvent[]);
    expect(result.break).toMatchObject({ kind: 'gap', eventId: 'evt-forged' });
  });

  it('finds swapped events', () => {
    const swapped = [EVENTS[0], EVENTS[2], EVENTS[1], EVENTS[3]] as StoredEvent[];
    expect(verifyChain(CHAIN_START, swapped).break).toMatchObject({ kind: 'gap', sequence: 2, eventId: 'evt-3' });
  });

  it('finds a renumbered chain whose first event does not start at the genesis hash', () => {
    const tail = EVENTS.slice(1).map((e, i) => ({ ...e, sequence: i + 1 }));
    expect(verifyChain(CHAIN_START, tail).break).toMatchObject({ kind: 'broken_link', sequence: 1, expected: GENESIS_HASH });
  });

  it('finds an event without chain columns inside the chain', () => {
    const unchained = EVENTS.map((e, i) => (i === 1 ? { ...e, sequence: null, previous_hash: null, hash: null } : e));
    expect(verifyChain(CHAIN_START, unchained).break).toMatchObject({ kind: 'gap', sequence: 2, actual: null });
  });
});

describe('the chain covers every stored column', () => {
  let store: Store;

  beforeAll(async () => {
    store = openStore({ dialect: 'sqlite', file: ':memory:' });
    await migrateToLatest(store.db);
  });

  afterAll(async () => {
    await store?.close();
  });

  /** The field names of the hashed form, read from the canonical serialization itself. */
  function hashedFields(): string[] {
    const pairs = JSON.parse(canonicalEvent({ ...content(1), sequence: 1, previous_hash: GENESIS_HASH })) as [string, unknown][];
    return pairs.map(([name]) => name);
  }

  it('every column of audit_events after all migrations is hashed or declared as not hashed', async () => {
    const tables = await store.db.introspection.getTables();
    const audit = tables.find((t) => t.name === 'audit_events');
    expect(audit, 'no audit_events table after migrating').toBeDefined();
    const columns = (audit?.columns ?? []).map((c) => c.name);
    const declared = new Set<string>([...AUDIT_CHAINED_FIELDS, ...AUDIT_UNCHAINED_FIELDS]);
    expect(
      columns.filter((name) => !declared.has(name)),
      'columns neither in AUDIT_CHAINED_FIELDS nor in AUDIT_UNCHAINED_FIELDS (src/model/audit-chain.ts)',
    ).toEqual([]);
    expect([...declared].sort()).toEqual([...columns].sort());
  });

  it('the hashed form is exactly the chained fields, in their declared order, none twice, none also unchained', () => {
    expect(hashedFields()).toEqual([...AUDIT_CHAINED_FIELDS]);
    expect(new Set(AUDIT_CHAINED_FIELDS).size).toBe(AUDIT_CHAINED_FIELDS.length);
    expect(AUDIT_UNCHAINED_FIELDS.filter((name) => (AUDIT_CHAINED_FIELDS as readonly string[]).includes(name))).toEqual([]);
  });

  it('the row type of the store names the chained and the unchained fields, and nothing else', () => {
    // Compile-time: a column added to the row type (src/store/schema.ts) but not declared in
    // src/model/audit-chain.ts, or the other way, makes this line a type error under `npm run typecheck`.
    type Declared = AuditChainedField | AuditUnchainedField;
    type SameColumns = [Exclude<keyof AuditEventsTable, Declared>, Exclude<Declared, keyof AuditEventsTable>] extends [
      never,
      never,
    ]
      ? true
      : false;
    const same: SameColumns = true;
    expect(same).toBe(true);
    const sample: ChainedFields = { ...content(1), sequence: 1, previous_hash: GENESIS_HASH };
    expect(Object.keys(sample).sort()).toEqual([...AUDIT_CHAINED_FIELDS].sort());
  });
});

describe('the canonical form in parts (PostgreSQL computes the hash from them, store/audit.ts)', () => {
  it('prefix + sequence + link + previous hash + end is the canonical form, escapes and all', () => {
    const odd = content(7, {
      user_agent: 'Mozilla/5.0 "quoted" \\ back\u0001slash ünïcödé 🚀',
      before: null,
      ip: null,
      after: JSON.stringify({ note: 'line\nbreak\ttab' }),
    });
    for (const [sequence, previous] of [
      [1, GENESIS_HASH],
      [123456789012, 'ab'.repeat(32)],
    ] as const) {
      const whole = canonicalEvent({ ...odd, sequence, previous_hash: previous });
      expect(`${canonicalPrefix(odd)}${sequence}${CANONICAL_LINK}${previous}${CANONICAL_END}`).toBe(whole);
    }
  });
});
