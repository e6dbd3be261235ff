/**
 * Writes the one audit event that accompanies every change, in the change's own transaction, and
 * verifies the log's hash chain (`gatehouse audit verify`).
 *
 * The log is append-only: nothing in src/ updates or deletes an audit event (a test greps for it).
 * Each event is chained to the one before it (model/audit-chain.ts), so a change made behind the
 * application's back, in the database itself, is found by {@link verifyAuditLog}.
 */
import { CHAIN_START, type ChainBreak, type ChainState, verifyChain } from '../model/audit-chain.js';
import { newId } from '../model/ids.js';
import type { ResourceRef } from '../model/policy.js';
import { appendEvent, chainedEvents, chainHead, countUnchained } from '../store/audit.js';
import type { Executor } from '../store/schema.js';
import { type Actor, iso } from './context.js';

export interface AuditEntry {
  action: string;
  resource?: ResourceRef | null;
  target?: { type: string; id: string } | null;
  before?: unknown;
  after?: unknown;
}

export async function audit(db: Executor, actor: Actor, at: Date, entry: AuditEntry): Promise<void> {
  await appendEvent(db, {
    id: newId.event(at.getTime()),
    at: iso(at),
    action: entry.action,
    resource_type: entry.resource?.type ?? null,
    resource_id: entry.resource?.id ?? null,
    actor_kind: actor.principal?.kind ?? 'system',
    actor_id: actor.principal?.id ?? null,
    // The token's id, never the token.
    actor_token_id: actor.principal?.tokenId ?? null,
    target_type: entry.target?.type ?? null,
    target_id: entry.target?.id ?? null,
    before: entry.before === undefined ? null : JSON.stringify(entry.before),
    after: entry.after === undefined ? null : JSON.stringify(entry.after),
    ip: actor.ip,
    user_agent: actor.userAgent,
    request_id: actor.requestId,
  });
}

export type AuditBreak =
  | ChainBreak
  | {
      kind: 'head_mismatch';
      sequence: number;
      eventId: string | null;
      detail: string;
      expected: string | number;
      actual: string | number | null;
    };

export interface AuditVerification {
  /** Chained events checked and found intact (all of them when `break` is null). */
  verified: number;
  /** Events written before the chain existed: not verifiable, reported. */
  unchained: number;
  head: { sequence: number; hash: string } | null;
  break: AuditBreak | null;
}

const BATCH = 1_000;

/**
 * Recomputes the whole chain in sequence order and reports the first break: a gap in the sequence
 * (events deleted), a broken link (an event's previous_hash is not its predecessor's hash), a hash
 * mismatch (an event's content changed), or a head that disagrees with the last event (events
 * removed from the end). Reads only.
 */
export async function verifyAuditLog(db: Executor): Promise<AuditVerification> {
  let state: ChainState = CHAIN_START;
  for (;;) {
    const batch = await chainedEvents(db, state.sequence, BATCH);
    if (batch.length === 0) break;
    const result = verifyChain(state, batch);
    if (result.break) {
      return {
        verified: result.state.count,
        unchained: await countUnchained(db),
        head: await chainHead(db),
        break: result.break,
      };
    }
    state = result.state;
    if (batch.length < BATCH) break;
  }
  const head = await chainHead(db);
  const unchained = await countUnchained(db);
  const headSequence = head?.sequence ?? 0;
  const headHash = head?.hash ?? CHAIN_START.hash;
  if (headSequence !== state.sequence || headHash !== state.hash) {
    return {
      verified: state.count,
      unchained,
      head,
      break: {
        kind: 'head_mismatch',
        sequence: state.sequence + 1,
        eventId: null,
        detail:
          headSequence !== state.sequence
            ? `the chain's head is at sequence ${headSequence} but the last event is ${state.sequence}: events after it were removed`
            : "the chain's head hash is not the last event's hash",
        expected: headSequence !== state.sequence ? headSequence : headHash,
        actual: headSequence !== state.sequence ? state.sequence : state.hash,
      },
    };
  }
  return { verified: state.count, unchained, head, break: null };
}
