/**
 * The warm path of services/auth.ts: once a credential and an access are in memory, `authorize`,
 * `accessOf` and `users.me` answer at once, not with a promise (model/maybe-promise.ts), and still
 * compare expiry with the clock on every call. A miss, or a credential that does not work, gives
 * the same answers as before, by promise or at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutePolicy } from '../../src/model/policy.js';
import type { UserPrincipal } from '../../src/model/principals.js';
import type { AuthorizeRequest } from '../../src/services/auth.js';
import { createUserWithToken } from '../../src/services/bootstrap.js';
import { createServices, type Services } from '../../src/services/index.js';
import { openServiceStore, type ServiceStore } from '../support/service-store.js';

let h: ServiceStore;
let services: Services;
let clock = Date.now();
let token: string;
let projectId: string;
let expiresAt: number;

const readMembers: RoutePolicy = {
  accepts: ['user', 'robot'],
  permission: 'sanity.{resourceType}.members.read',
  resource: 'project',
};

function request(overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  return {
    token,
    viaCookie: false,
    ip: '192.0.2.1',
    unsafe: false,
    policy: readMembers,
    resource: { type: 'project', id: projectId },
    ...overrides,
  };
}

beforeAll(async () => {
  h = await openServiceStore();
  // Services on their own clock, whose caches are vouched for as a live change feed would.
  services = createServices({ ...h.deps, now: () => new Date(clock) });
  services.auth.cache.attach({ fresh: () => true, state: 'live' });
  const created = await createUserWithToken(h.store, h.deps.keys, { email: 'warm@example.com', name: 'Warm' });
  token = created.token;
  expiresAt = Date.parse(created.expiresAt);
  const owner = (await services.auth.authenticate(token, null)) as UserPrincipal;
  const view = (await services.projects.create(
    { principal: owner, ip: null, userAgent: null, requestId: null },
    { displayName: 'Warm path' },
  )) as { id: string };
  projectId = view.id;
});

afterAll(async () => {
  await h?.close();
});

describe('a warm request', () => {
  it('is authorized without a promise once its credential and access are in memory', async () => {
    services.auth.cache.flush();
    const cold = services.auth.authorize(request());
    expect(cold).toBeInstanceOf(Promise);
    const first = await cold;
    expect(first.problem).toBeNull();
    expect(first.refusal).toBeNull();

    const warm = services.auth.authorize(request());
    expect(warm).not.toBeInstanceOf(Promise);
    expect(warm).toMatchObject({ problem: null, refusal: null, permission: 'sanity.project.members.read' });
    expect((warm as Awaited<typeof warm>).principal).toBe(first.principal);
    expect((warm as Awaited<typeof warm>).access?.roleNames).toEqual(['administrator']);
  });

  it('answers /users/me at once, with the roles in the project context', () => {
    const principal = (services.auth.authorize(request()) as { principal: UserPrincipal }).principal;
    const me = services.users.me(principal, projectId);
    expect(me).not.toBeInstanceOf(Promise);
    expect(me).toMatchObject({ email: 'warm@example.com', role: 'administrator', roles: [{ name: 'administrator' }] });
  });

  it('still refuses at once a cached credential whose expiry has passed', () => {
    const warm = services.auth.authorize(request());
    expect(warm).not.toBeInstanceOf(Promise);
    clock = expiresAt + 1;
    try {
      const expired = services.auth.authorize(request());
      expect(expired).not.toBeInstanceOf(Promise);
      expect(expired).toMatchObject({ principal: null, problem: { status: 401, reason: { code: 'token_expired' } } });
      // Counted as a failed authentication of the address, as a refusal by promise is.
      expect((expired as Awaited<typeof expired>).rateLimit?.remaining).toBeGreaterThanOrEqual(0);
    } finally {
      clock = Date.now();
    }
  });

  it('gives a token that is not a Gatehouse token the same 401 as before', async () => {
    const bad = services.auth.authorize(request({ token: 'gth_user_nope' }));
    const answer = await bad;
    expect(answer).toMatchObject({ principal: null, problem: { status: 401, reason: { code: 'invalid_token' } } });
  });
});
