/** Writes the one audit event that accompanies every change, in the change's own transaction. */
import { newId } from '../model/ids.js';
import type { ResourceRef } from '../model/policy.js';
import { appendEvent } from '../store/audit.js';
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
