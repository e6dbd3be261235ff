/**
 * The audit log's hash chain, pure: the canonical serialization of an event and its hash, and the
 * verification of a run of events in sequence order.
 *
 * Every event carries its position (`sequence`, 1, 2, …), the hash of the event before it
 * (`previousHash`, {@link GENESIS_HASH} for the first) and its own hash: SHA-256 over the canonical
 * JSON of all of its stored fields, `sequence` and `previousHash` included. Changing any field of
 * any event, deleting an event or inserting one changes a hash or breaks a link, and
 * {@link verifyChain} names the first event where that happens.
 */
import { createHash } from 'node:crypto';

/** The `previousHash` of the first event of the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The columns of `audit_events` that the chain hashes, in the order of the canonical form: the one
 * declaration of an event's fields. `canonicalEvent` serializes exactly these, and the store's
 * table type is built from them (`AuditEventsTable` in src/store/schema.ts), so a column cannot be
 * added to the table and left out of the chain (test/unit/audit-chain.test.ts compares them with
 * a migrated database too). Never reorder or rename one: existing logs would no longer verify.
 */
export const AUDIT_CHAINED_FIELDS = [
  'id',
  'at',
  'action',
  'resource_type',
  'resource_id',
  'actor_kind',
  'actor_id',
  'actor_token_id',
  'target_type',
  'target_id',
  'before',
  'after',
  'ip',
  'user_agent',
  'request_id',
  'sequence',
  'previous_hash',
] as const;

/** The columns of `audit_events` outside the hashed form: the event's own hash, which is its result. */
export const AUDIT_UNCHAINED_FIELDS = ['hash'] as const;

export type AuditChainedField = (typeof AUDIT_CHAINED_FIELDS)[number];
export type AuditUnchainedField = (typeof AUDIT_UNCHAINED_FIELDS)[number];

/** The type of each chained column, as stored (JSON columns as their text). */
interface ChainedFieldTypes {
  id: string;
  at: string;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  actor_kind: string;
  actor_id: string | null;
  actor_token_id: string | null;
  target_type: string | null;
  target_id: string | null;
  before: string | null;
  after: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  sequence: number;
  previous_hash: string;
}

/** The hashed fields of an event: those of {@link AUDIT_CHAINED_FIELDS}, each with its type. */
export type ChainedFields = { [K in AuditChainedField]: ChainedFieldTypes[K] };

/** An event as a service writes it: every chained field but its place in the chain. */
export type EventContent = Omit<ChainedFields, 'sequence' | 'previous_hash'>;

/** The fields of {@link EventContent}, in canonical order: the chained fields before the link. */
export const EVENT_CONTENT_FIELDS = AUDIT_CHAINED_FIELDS.filter(
  (name): name is Exclude<AuditChainedField, 'sequence' | 'previous_hash'> => name !== 'sequence' && name !== 'previous_hash',
);

/**
 * The canonical serialization: a JSON array of `[name, value]` pairs in the fixed order of
 * {@link AUDIT_CHAINED_FIELDS} (missing values as `null`, the sequence as a JSON number), never an
 * object's key order. JSON escaping makes it unambiguous.
 */
export function canonicalEvent(event: ChainedFields): string {
  return JSON.stringify(AUDIT_CHAINED_FIELDS.map((name) => [name, event[name] ?? null]));
}

/**
 * The canonical serialization up to the sequence, for a database that computes the hash itself
 * (store/audit.ts on PostgreSQL): `canonicalEvent(event)` is exactly
 * `canonicalPrefix(event) + sequence + CANONICAL_LINK + previous_hash + CANONICAL_END`
 * (a hash is lowercase hex, which JSON does not escape).
 */
export function canonicalPrefix(event: EventContent): string {
  const head = JSON.stringify(EVENT_CONTENT_FIELDS.map((name) => [name, event[name] ?? null]));
  return `${head.slice(0, -1)},["sequence",`;
}
export const CANONICAL_LINK = '],["previous_hash","';
export const CANONICAL_END = '"]]';

/** SHA-256 of the canonical serialization, lowercase hex. */
export function eventHash(event: ChainedFields): string {
  return createHash('sha256').update(canonicalEvent(event), 'utf8').digest('hex');
}

/** `content` placed after `head` in the chain, with its hash: the row the store appends. */
export function chainEvent(content: EventContent, head: { sequence: number; hash: string }): ChainedFields & { hash: string } {
  const fields: ChainedFields = { ...content, sequence: head.sequence + 1, previous_hash: head.hash };
  return { ...fields, hash: eventHash(fields) };
}

/**
 * A stored event, every column of `audit_events` (the store's table type is this): the chain
 * columns are null on events written before the chain existed.
 */
export type StoredEvent = EventContent & {
  sequence: number | null;
  previous_hash: string | null;
} & { [K in AuditUnchainedField]: string | null };

export type ChainBreakKind = 'gap' | 'broken_link' | 'hash_mismatch';

export interface ChainBreak {
  kind: ChainBreakKind;
  /** The sequence the event should have had (for a gap) or has. */
  sequence: number;
  /** The event at which the chain breaks (for a gap: the first event after it). */
  eventId: string;
  /** What differs, in a sentence. */
  detail: string;
  expected: string | number;
  actual: string | number | null;
}

/** The chain state after a run of events: how far it got, and the hash to link the next event to. */
export interface ChainState {
  count: number;
  sequence: number;
  hash: string;
}

export const CHAIN_START: ChainState = { count: 0, sequence: 0, hash: GENESIS_HASH };

/**
 * Checks the next events (in sequence order, chained ones only) against the state so far: returns
 * the new state, or the first break. Callers feed the whole log in batches.
 */
export function verifyChain(state: ChainState, events: readonly StoredEvent[]): { state: ChainState; break: ChainBreak | null } {
  let { count, sequence, hash } = state;
  for (const event of events) {
    const expectedSequence = sequence + 1;
    if (event.sequence !== expectedSequence) {
      return {
        state: { count, sequence, hash },
        break: {
          kind: 'gap',
          sequence: expectedSequence,
          eventId: event.id,
          detail: `expected sequence ${expectedSequence}, found ${event.sequence}: events are missing or were renumbered`,
          expected: expectedSequence,
          actual: event.sequence,
        },
      };
    }
    if (event.previous_hash !== hash) {
      return {
        state: { count, sequence, hash },
        break: {
          kind: 'broken_link',
          sequence: expectedSequence,
          eventId: event.id,
          detail: 'its previous_hash is not the hash of the event before it',
          expected: hash,
          actual: event.previous_hash,
        },
      };
    }
    const recomputed = eventHash({ ...event, sequence: expectedSequence, previous_hash: hash });
    if (event.hash !== recomputed) {
      return {
        state: { count, sequence, hash },
        break: {
          kind: 'hash_mismatch',
          sequence: expectedSequence,
          eventId: event.id,
          detail: 'its stored hash does not match its content: the event was changed after it was written',
          expected: recomputed,
          actual: event.hash,
        },
      };
    }
    count += 1;
    sequence = expectedSequence;
    hash = recomputed;
  }
  return { state: { count, sequence, hash }, break: null };
}
