/**
 * The services on a real store, without HTTP: an in-memory SQLite database opened with the real
 * `openStore` and every migration, and `createServices` wired to it as the server wires them. For
 * tests that call use cases directly and look at what they leave in the database.
 */
import { randomBytes } from 'node:crypto';
import type { ResourceRef } from '../../src/model/policy.js';
import type { UserPrincipal } from '../../src/model/principals.js';
import { parseServerSecrets } from '../../src/model/tokens.js';
import { createUserWithToken } from '../../src/services/bootstrap.js';
import { type Actor, DEFAULT_IDENTITY, type Deps } from '../../src/services/context.js';
import { createServices, type Services } from '../../src/services/index.js';
import { currentGranter, type Granter } from '../../src/services/invariants.js';
import { addMember } from '../../src/services/memberships.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';

export interface ServiceStore {
  store: Store;
  /** What the services were built on: a test builds one more service on them with its own clock. */
  deps: Deps;
  services: Services;
  /** A new human user, and the actor it is when it calls a use case. */
  user(name?: string): Promise<{ id: string; principal: UserPrincipal; actor: Actor & { principal: UserPrincipal } }>;
  /** Gives a principal roles on a resource directly in the store (test setup, as an operator would). */
  grant(resource: ResourceRef, principal: { kind: 'user' | 'robot'; id: string }, roleNames: string[]): Promise<void>;
  /** What a principal holds on a resource now: the `granter` a use case receives from its route. */
  granter(resource: ResourceRef, principalId: string): Promise<Granter>;
  /** The roles a principal holds on a resource, sorted; [] when it is not a member. */
  rolesOf(resource: ResourceRef, principalId: string): Promise<string[]>;
  /** How many audit events the store holds. */
  auditCount(): Promise<number>;
  close(): Promise<void>;
}

let counter = 0;

export async function openServiceStore(): Promise<ServiceStore> {
  const store = openStore({ dialect: 'sqlite', file: ':memory:' });
  await migrateToLatest(store.db);
  const keys = parseServerSecrets(randomBytes(32).toString('base64url'));
  const deps: Deps = {
    db: store.db,
    keys,
    now: () => new Date(),
    lastUsedWriteIntervalMs: 60_000,
    identity: DEFAULT_IDENTITY,
    baseUrl: () => 'http://127.0.0.1',
  };
  const services = createServices(deps);

  return {
    store,
    deps,
    services,
    async user(name) {
      const email = `user${++counter}-${randomBytes(3).toString('hex')}@example.com`;
      const { userId, token } = await createUserWithToken(store, keys, { email, name });
      const principal = (await services.auth.authenticate(token, null)) as UserPrincipal;
      return { id: userId, principal, actor: { principal, ip: null, userAgent: null, requestId: null } };
    },
    async grant(resource, principal, roleNames) {
      await addMember(store.db, resource, principal, roleNames, new Date());
    },
    granter: (resource, principalId) => currentGranter(store.db, resource, principalId),
    async rolesOf(resource, principalId) {
      const rows = await store.db
        .selectFrom('memberships')
        .innerJoin('membership_roles', 'membership_roles.membership_id', 'memberships.id')
        .select('membership_roles.role_name')
        .where('memberships.resource_type', '=', resource.type)
        .where('memberships.resource_id', '=', resource.id)
        .where('memberships.principal_id', '=', principalId)
        .execute();
      return rows.map((r) => r.role_name).sort();
    },
    async auditCount() {
      const row = await store.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async close() {
      services.bookkeeping.stop();
      await store.close();
    },
  };
}
