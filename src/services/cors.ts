/**
 * CORS origins per project (Sanity's Projects API and CORS rules): list, add, delete, explain, and the decision the
 * HTTP layer enforces on every request that carries an `Origin` in a project context.
 * Validation and matching are pure and live in model/cors.ts.
 */

import {
  type CorsEntry,
  canonicalRequestOrigin,
  DEFAULT_CORS_ORIGIN,
  explainOrigin,
  normalizeOrigin,
  type OriginExplanation,
} from '../model/cors.js';
import { Problem, problems } from '../model/errors.js';
import {
  corsOriginsOf,
  deleteCorsOrigin,
  findCorsOrigin,
  findCorsOriginByOrigin,
  insertCorsOrigin,
  nextCorsOriginId,
} from '../store/cors.js';
import { isUniqueViolation } from '../store/db.js';
import { findProject } from '../store/projects.js';
import type { CorsOriginRow, Executor } from '../store/schema.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';

export interface CorsOriginView {
  id: number;
  origin: string;
  allowCredentials: boolean;
  projectId: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: null;
}

export interface CorsDecision {
  allowed: boolean;
  withCredentials: boolean;
}

export function corsOriginView(row: CorsOriginRow): CorsOriginView {
  return {
    id: row.id,
    origin: row.origin,
    allowCredentials: row.allow_credentials === 1,
    projectId: row.project_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: null,
  };
}

function entryOf(row: CorsOriginRow): CorsEntry {
  return { id: row.id, origin: row.origin, allowCredentials: row.allow_credentials === 1 };
}

const MAX_ATTEMPTS = 5;

/**
 * Runs `work` again when it fails on a unique violation: two PostgreSQL transactions adding the
 * same origin to a project at once (ids come from a counter and never collide, store/cors.ts). The
 * loser's transaction is rolled back whole and retried; on the retry it sees the winner's row.
 * SQLite serializes writers, so it never retries there.
 */
export async function retryOnIdCollision<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isUniqueViolation(error)) throw error;
    }
  }
}

/** Inserts the origins every new project starts with, in the project's own transaction. */
export async function seedCorsOrigins(trx: Executor, projectId: string, now: Date): Promise<void> {
  await insertCorsOrigin(trx, {
    id: await nextCorsOriginId(trx),
    project_id: projectId,
    origin: DEFAULT_CORS_ORIGIN,
    // Studio on localhost sends the user's session: it needs credentials.
    allow_credentials: 1,
    created_at: iso(now),
    updated_at: iso(now),
  });
}

export function invalidOrigin(message: string): Problem {
  return new Problem(400, message, {
    code: 'invalid_origin',
    field: 'origin',
    hint: 'Send an origin as protocol://host[:port], e.g. https://studio.example.com or http://localhost:3333; `*` may stand for part of the host or for the port. Special values: "*" (without credentials), "null" and "file:///*".',
  });
}

export function corsOriginNotAllowed(origin: string, projectId: string): Problem {
  const shown = origin.slice(0, 200);
  return new Problem(403, `Origin ${shown} is not allowed to call project ${projectId}`, {
    code: 'cors_origin_not_allowed',
    origin: shown,
    projectId,
    hint: `Allow it with \`gatehouse cors add ${shown} --project ${projectId}\` (add --credentials if the page sends a token or cookies), or POST /projects/${projectId}/cors {"origin": "${shown}"}. \`gatehouse cors explain ${shown} --project ${projectId}\` shows why no entry matched.`,
  });
}

export class CorsService {
  constructor(private readonly deps: Deps) {}

  async list(projectId: string): Promise<CorsOriginView[]> {
    return (await corsOriginsOf(this.deps.db, projectId)).map(corsOriginView);
  }

  /**
   * Allows an origin. Adding one that is already allowed with the same `allowCredentials` changes
   * nothing and succeeds (`created: false`, no audit event), so scripts that add the origins they
   * need can run again; the same origin with other credentials is a 409 that names the entry.
   */
  async create(
    actor: Actor,
    projectId: string,
    input: { origin: string; allowCredentials?: boolean | undefined },
  ): Promise<{ origin: CorsOriginView; created: boolean }> {
    const allowCredentials = input.allowCredentials ?? false;
    const checked = normalizeOrigin(input.origin, allowCredentials);
    if (!checked.ok) throw invalidOrigin(checked.message);
    const origin = checked.origin;
    const now = this.deps.now();
    return retryOnIdCollision(() =>
      inTransaction(this.deps, async (trx) => {
        const existing = await findCorsOriginByOrigin(trx, projectId, origin);
        if (existing && existing.allow_credentials === (allowCredentials ? 1 : 0)) {
          return { origin: corsOriginView(existing), created: false };
        }
        if (existing) {
          const has = existing.allow_credentials === 1 ? 'with' : 'without';
          throw problems.conflict(`Origin ${origin} is already allowed ${has} credentials (id ${existing.id})`, {
            code: 'cors_origin_exists',
            id: existing.id,
            origin,
            allowCredentials: existing.allow_credentials === 1,
            hint: `To change whether it may send credentials, delete entry ${existing.id} and add the origin again.`,
          });
        }
        const row: CorsOriginRow = {
          id: await nextCorsOriginId(trx),
          project_id: projectId,
          origin,
          allow_credentials: allowCredentials ? 1 : 0,
          created_at: iso(now),
          updated_at: iso(now),
        };
        await insertCorsOrigin(trx, row);
        const view = corsOriginView(row);
        await audit(trx, actor, now, {
          action: 'cors.create',
          resource: { type: 'project', id: projectId },
          target: { type: 'cors-origin', id: String(row.id) },
          after: { origin, allowCredentials, wildcard: checked.wildcard },
        });
        return { origin: view, created: true };
      }),
    );
  }

  async remove(actor: Actor, projectId: string, id: number): Promise<void> {
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      const row = await findCorsOrigin(trx, projectId, id);
      if (!row || !(await deleteCorsOrigin(trx, projectId, id))) {
        throw problems.notFound(`CORS origin not found: ${id}`, {
          hint: `List the project's origins with GET /projects/${projectId}/cors (or \`gatehouse cors list --project ${projectId}\`).`,
        });
      }
      await audit(trx, actor, now, {
        action: 'cors.delete',
        resource: { type: 'project', id: projectId },
        target: { type: 'cors-origin', id: String(id) },
        before: { origin: row.origin, allowCredentials: row.allow_credentials === 1 },
      });
    });
  }

  /** Which entry lets `origin` in, or why none does (configured console origins count, see `decide`). */
  async explain(projectId: string, origin: string): Promise<OriginExplanation & { consoleOrigin: boolean }> {
    const explanation = explainOrigin(origin, (await corsOriginsOf(this.deps.db, projectId)).map(entryOf));
    const consoleOrigin = this.isConsoleOrigin(origin);
    if (consoleOrigin && !explanation.allowed) {
      return {
        ...explanation,
        allowed: true,
        withCredentials: true,
        consoleOrigin,
        summary: `${explanation.normalized} is allowed, with credentials, as a configured console origin (GATEHOUSE_CONSOLE_ORIGINS).`,
      };
    }
    return { ...explanation, consoleOrigin };
  }

  /**
   * The decision for a request from `origin` in the context of `projectId`. A configured console
   * origin (GATEHOUSE_CONSOLE_ORIGINS) is trusted by the operator for every project, with
   * credentials. A project that does not exist allows nothing.
   */
  async decide(projectId: string, origin: string): Promise<CorsDecision> {
    if (this.isConsoleOrigin(origin)) return { allowed: true, withCredentials: true };
    const explanation = explainOrigin(origin, (await corsOriginsOf(this.deps.db, projectId)).map(entryOf));
    return { allowed: explanation.allowed, withCredentials: explanation.withCredentials };
  }

  /**
   * `GET /check/cors`: the decision for the calling page's origin. Unknown project: 404 with
   * Sanity's `SIO-404-PNF`. A call without an `Origin` header is no cross-origin browser call, and
   * nothing would refuse it.
   */
  async check(projectId: string, origin: string | undefined): Promise<CorsDecision> {
    if (!(await findProject(this.deps.db, projectId))) {
      throw new Problem(
        404,
        `Project not found: ${projectId}`,
        { code: 'not_found', hint: 'Check the project id in the host name or the X-Sanity-Project-ID header.' },
        { errorCode: 'SIO-404-PNF' },
      );
    }
    if (origin === undefined) return { allowed: true, withCredentials: true };
    return this.decide(projectId, origin);
  }

  private isConsoleOrigin(origin: string): boolean {
    const canonical = canonicalRequestOrigin(origin);
    return canonical !== null && this.deps.identity.consoleOrigins.includes(canonical);
  }
}
