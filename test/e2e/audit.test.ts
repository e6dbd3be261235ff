/**
 * The audit log: the hash chain written with every change, its verification (`gatehouse audit
 * verify`, the real binary, including after a stored event is tampered with), the append-only rule
 * (no code in src/ updates or deletes an event, and the database's triggers refuse it), and the activity API with its filters, visibility,
 * cursor and CSV export. The tamper test runs last: it breaks the chain on purpose.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAIN_START, eventHash, GENESIS_HASH, type StoredEvent, verifyChain } from '../../src/model/audit-chain.js';
import { csvCell } from '../../src/services/activity.js';
import { verifyAuditLog } from '../../src/services/audit.js';
import { cleanEnv, ROOT, runCli } from '../support/cli.js';
import { addMember, createOrganization, createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let admin: { userId: string; token: string };
let outsider: { userId: string; token: string };
let projectId: string;
let otherProjectId: string;
let organizationId: string;

function gatehouse(args: string[], env: Record<string, string> = {}) {
  // The operator's configuration: the server's data dir and secret (PostgreSQL requires one).
  return runCli(
    args,
    cleanEnv({
      GATEHOUSE_API_HOST: server.url,
      GATEHOUSE_DATA_DIR: server.dataDir,
      GATEHOUSE_SECRET: server.secret,
      NO_COLOR: '1',
      ...env,
    }),
  );
}

const db = () => server.running.store.db;

async function allEvents() {
  return db().selectFrom('audit_events').selectAll().orderBy('sequence').execute();
}

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  admin = await server.createUser('audit-admin@example.com', 'Ada Admin');
  outsider = await server.createUser('audit-outsider@example.com', 'Otto Outsider');
  projectId = await createProject(api, admin.token, 'Audited');
  otherProjectId = await createProject(api, outsider.token, 'Not yours');
  organizationId = await createOrganization(api, admin.token, 'Audited org');
});

afterAll(async () => {
  await server?.close();
});

describe('the hash chain', () => {
  it('every event carries its sequence, the previous hash and its own hash', async () => {
    const events = await allEvents();
    expect(events.length).toBeGreaterThanOrEqual(5);
    let previous = GENESIS_HASH;
    events.forEach((event, index) => {
      expect(Number(event.sequence)).toBe(index + 1);
      expect(event.previous_hash).toBe(previous);
      const hash = eventHash({ ...event, sequence: index + 1, previous_hash: previous });
      expect(event.hash).toBe(hash);
      previous = hash;
    });
    // The head also keeps the hash its last move replaced: the last event's link.
    const head = await db().selectFrom('audit_chain').selectAll().execute();
    expect(head).toEqual([{ id: 1, sequence: events.length, hash: previous, previous_hash: events.at(-1)?.previous_hash }]);
  });

  it('concurrent changes queue at the head: the chain never forks', async () => {
    const before = (await allEvents()).length;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api('POST', `${V}/access/project/${projectId}/robots`, {
          token: admin.token,
          body: {
            label: `parallel ${i}`,
            memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
          },
        }),
      ),
    );
    for (const res of results) expect(res.status, res.text).toBe(201);
    const events = await allEvents();
    expect(events.length).toBe(before + 12);
    expect(events.map((e) => Number(e.sequence))).toEqual(events.map((_, i) => i + 1));
    const verification = await verifyAuditLog(db());
    expect(verification.break).toBeNull();
    expect(verification.verified).toBe(events.length);
  });

  it('a failed change leaves neither an event nor a moved head', async () => {
    const before = await db().selectFrom('audit_chain').selectAll().executeTakeFirstOrThrow();
    const res = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: admin.token,
      body: { label: 'bad', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['no-such-role'] }] },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await db().selectFrom('audit_chain').selectAll().executeTakeFirstOrThrow()).toEqual(before);
  });

  it('verification names the first gap, broken link or changed event (pure)', () => {
    const base = {
      at: '2026-01-01T00:00:00.000Z',
      action: 'x.y',
      resource_type: null,
      resource_id: null,
      actor_kind: 'system',
      actor_id: null,
      actor_token_id: null,
      target_type: null,
      target_id: null,
      before: null,
      after: null,
      ip: null,
      user_agent: null,
      request_id: null,
    };
    const chain: StoredEvent[] = [];
    let previous = GENESIS_HASH;
    for (let i = 1; i <= 3; i++) {
      const fields = { ...base, id: `e${i}`, sequence: i, previous_hash: previous };
      previous = eventHash(fields);
      chain.push({ ...fields, hash: previous });
    }
    expect(verifyChain(CHAIN_START, chain).break).toBeNull();
    expect(verifyChain(CHAIN_START, [chain[0], chain[2]] as StoredEvent[]).break).toMatchObject({
      kind: 'gap',
      sequence: 2,
      eventId: 'e3',
    });
    const changed = chain.map((e) => (e.id === 'e2' ? { ...e, action: 'x.z' } : e));
    expect(verifyChain(CHAIN_START, changed).break).toMatchObject({ kind: 'hash_mismatch', sequence: 2, eventId: 'e2' });
    // Rehashing the changed event does not help: the next one no longer links to it.
    const rehashed = changed.map((e) =>
      e.id === 'e2' ? { ...e, hash: eventHash({ ...e, sequence: 2, previous_hash: e.previous_hash as string }) } : e,
    );
    expect(verifyChain(CHAIN_START, rehashed).break).toMatchObject({ kind: 'broken_link', sequence: 3, eventId: 'e3' });
  });
});

describe('append-only', () => {
  it('no code in src/ updates or deletes an audit event', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ts$/.test(name)) {
          const text = readFileSync(path, 'utf8');
          const patterns = [
            /updateTable\(\s*['"]audit_events['"]/,
            /deleteFrom\(\s*['"]audit_events['"]/,
            /update\s+"?audit_events"?/i,
            /delete\s+from\s+"?audit_events"?/i,
            /truncate\s+(table\s+)?"?audit_events"?/i,
          ];
          for (const pattern of patterns) if (pattern.test(text)) offenders.push(`${path}: ${pattern}`);
        }
      }
    };
    walk(join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });

  it('the database itself refuses UPDATE and DELETE of audit events, and moving the chain head back', async () => {
    await createProject(api, admin.token, 'Something to audit');
    const before = await allEvents();
    const victim = before[before.length - 1];
    if (!victim) throw new Error('no event');
    const attempts = [
      sql`UPDATE audit_events SET action = ${'robot.nothing-to-see'} WHERE id = ${victim.id}`,
      sql`UPDATE audit_events SET ip = NULL`,
      sql`DELETE FROM audit_events WHERE id = ${victim.id}`,
      sql`DELETE FROM audit_events`,
      sql`UPDATE audit_chain SET sequence = sequence - 1, hash = ${'0'.repeat(64)}`,
      sql`DELETE FROM audit_chain`,
      ...(server.database.dialect === 'postgres' ? [sql`TRUNCATE audit_events`, sql`TRUNCATE audit_chain`] : []),
    ];
    for (const attempt of attempts) {
      const error = await attempt.execute(db()).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message, attempt.compile(db()).sql).toMatch(/append-only|only moves forward/);
    }
    expect(await allEvents()).toEqual(before);
    const verification = await verifyAuditLog(db());
    expect(verification.break).toBeNull();
    expect(verification.verified).toBe(before.length);
    // New events are still appended.
    await createProject(api, admin.token, 'Still audited');
    expect((await allEvents()).length).toBe(before.length + 1);
  });
});

describe('GET /activity', () => {
  it('an administrator sees the project’s events, with actor, token id (never the token) and metadata', async () => {
    const robot = await createRobot(api, admin.token, { type: 'project', id: projectId }, ['editor'], 'activity robot');
    const res = await api('GET', `/v2021-02-01/activity?projectId=${projectId}&action=robot.create&limit=1`, {
      token: admin.token,
      headers: { 'user-agent': 'audit-test' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toHaveLength(1);
    const [event] = res.body.data;
    expect(event).toMatchObject({
      action: 'robot.create',
      actorId: admin.userId,
      actorType: 'user',
      projectId,
      organizationId: null,
      target: { type: 'robot', id: robot.id },
      metadata: { ip: expect.any(String), requestId: expect.any(String) },
    });
    expect(event.actorTokenId).toMatch(/^t/);
    expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.text).not.toContain(admin.token);
    expect(res.text).not.toContain(robot.token);
    expect(typeof res.body.nextCursor).toBe('string');
  });

  it('any version prefix answers the same', async () => {
    const a = await api('GET', `/v2021-02-01/activity?projectId=${projectId}`, { token: admin.token });
    const b = await api('GET', `${V}/activity?projectId=${projectId}`, { token: admin.token });
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
  });

  it('a caller sees only what they may audit: never another tenant’s events', async () => {
    const mine = await api('GET', `${V}/activity?limit=100`, { token: outsider.token });
    expect(mine.status, mine.text).toBe(200);
    for (const e of mine.body.data) {
      const own = e.actorId === outsider.userId || e.target?.id === outsider.userId;
      expect(own || e.projectId === otherProjectId, JSON.stringify(e)).toBe(true);
    }
    expect(mine.body.data.some((e: { projectId: string }) => e.projectId === otherProjectId)).toBe(true);
    // Asking for another project's events by id gives nothing, not an error.
    const theirs = await api('GET', `${V}/activity?projectId=${projectId}`, { token: outsider.token });
    expect(theirs.status).toBe(200);
    expect(theirs.body.data).toEqual([]);
    // A viewer (no sanity.project.activity.read) sees only their own events.
    const viewer = await server.createUser('audit-viewer@example.com');
    await addMember(server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);
    const asViewer = await api('GET', `${V}/activity?projectId=${projectId}`, { token: viewer.token });
    expect(asViewer.body.data).toEqual([]);
    // Nor does a developer: the built-in developer role does not hold sanity.project.activity.read.
    const developer = await server.createUser('audit-dev@example.com');
    await addMember(server, { type: 'project', id: projectId }, developer.userId, ['developer']);
    const asDeveloper = await api('GET', `${V}/activity?projectId=${projectId}`, { token: developer.token });
    expect(asDeveloper.body.data).toEqual([]);
    // So does a project robot with the administrator role, on its own project only.
    const robot = await createRobot(api, admin.token, { type: 'project', id: projectId }, ['administrator']);
    const asRobot = await api('GET', `${V}/activity?limit=100`, { token: robot.token });
    expect(asRobot.status).toBe(200);
    expect(asRobot.body.data.length).toBeGreaterThan(0);
    for (const e of asRobot.body.data) expect(e.projectId === projectId || e.actorId === robot.id).toBe(true);
  });

  it('an auditor reads the project’s activity and nothing else; an organization auditor reads the organization’s projects too', async () => {
    const auditor = await server.createUser('project-auditor@example.com', 'Pat Auditor');
    await addMember(server, { type: 'project', id: projectId }, auditor.userId, ['auditor']);
    const seen = await api('GET', `${V}/activity?projectId=${projectId}&limit=100`, { token: auditor.token });
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body.data.map((e: { action: string }) => e.action)).toContain('project.create');
    const csv = await api('GET', `${V}/activity/export/csv?projectId=${projectId}`, { token: auditor.token });
    expect(csv.text.split('\r\n').filter(Boolean).length).toBeGreaterThan(1);
    // Nothing else: not the members, not the roles, not the project, and no change.
    for (const path of [`/access/project/${projectId}/users`, `/access/project/${projectId}/roles`, `/projects/${projectId}`]) {
      expectErrorEnvelope(await api('GET', `${V}${path}`, { token: auditor.token }), 403, 'missing_permission', path);
    }
    expectErrorEnvelope(
      await api('PATCH', `${V}/projects/${projectId}`, { token: auditor.token, body: { displayName: 'Audited!' } }),
      403,
      'missing_permission',
    );
    // Another project's events stay out of reach.
    const other = await api('GET', `${V}/activity?projectId=${otherProjectId}`, { token: auditor.token });
    expect(other.body.data).toEqual([]);

    // A robot auditor, for a log shipper: the same view.
    const shipper = await createRobot(api, admin.token, { type: 'project', id: projectId }, ['auditor'], 'log shipper');
    const shipped = await api('GET', `${V}/activity?projectId=${projectId}&limit=100`, { token: shipper.token });
    const ids = (page: { body: { data: Array<{ id: string }> } }) => page.body.data.map((e) => e.id);
    expect(ids(shipped)).toEqual(expect.arrayContaining(ids(seen)));
    expect(shipped.body.data.map((e: { action: string }) => e.action)).toContain('robot.create');

    // An organization auditor audits the organization and the projects in it.
    const inOrg = await api('POST', `${V}/projects`, { token: admin.token, body: { displayName: 'In org', organizationId } });
    expect(inOrg.status, inOrg.text).toBe(201);
    const orgAuditor = await server.createUser('org-auditor@example.com', 'Oda Auditor');
    await addMember(server, { type: 'organization', id: organizationId }, orgAuditor.userId, ['auditor']);
    const orgEvents = await api('GET', `${V}/activity?limit=100`, { token: orgAuditor.token });
    const actions = orgEvents.body.data.map((e: { action: string; projectId: string; organizationId: string }) => [
      e.action,
      e.projectId ?? e.organizationId,
    ]);
    expect(actions).toContainEqual(['organization.create', organizationId]);
    expect(actions).toContainEqual(['project.create', inOrg.body.id]);
    expect(actions.some(([, id]: [string, string]) => id === projectId)).toBe(false);
    expectErrorEnvelope(
      await api('GET', `${V}/access/project/${inOrg.body.id}/users`, { token: orgAuditor.token }),
      403,
      'missing_permission',
    );
  });

  it('organization events go to the organization’s administrators', async () => {
    const res = await api('GET', `${V}/activity?organizationId=${organizationId}`, { token: admin.token });
    expect(res.body.data.map((e: { action: string }) => e.action)).toContain('organization.create');
    const stranger = await api('GET', `${V}/activity?organizationId=${organizationId}`, { token: outsider.token });
    expect(stranger.body.data).toEqual([]);
  });

  it('filters: actorId (with null), userId, action (repeated), time range', async () => {
    const byAdmin = await api('GET', `${V}/activity?actorId=${admin.userId}&limit=100`, { token: admin.token });
    expect(byAdmin.body.data.length).toBeGreaterThan(0);
    for (const e of byAdmin.body.data) expect(e.actorId).toBe(admin.userId);

    // user.create is done by the system, to the user: visible to that user.
    const system = await api('GET', `${V}/activity?actorId=null`, { token: admin.token });
    expect(system.body.data.map((e: { action: string; userId: string }) => [e.action, e.userId])).toEqual([
      ['user.create', admin.userId],
    ]);
    const target = await api('GET', `${V}/activity?userId=${admin.userId}`, { token: admin.token });
    expect(target.body.data.map((e: { action: string }) => e.action)).toContain('user.create');

    const two = await api('GET', `${V}/activity?action=project.create&action=organization.create&limit=100`, {
      token: admin.token,
    });
    expect(new Set(two.body.data.map((e: { action: string }) => e.action))).toEqual(
      new Set(['project.create', 'organization.create']),
    );

    server.advance(60_000);
    const boundary = new Date(
      Date.parse((await api('GET', `${V}/activity?limit=1`, { token: admin.token })).body.data[0].timestamp) + 30_000,
    );
    const project = await createProject(api, admin.token, 'Later');
    const after = await api('GET', `${V}/activity?startTime=${encodeURIComponent(boundary.toISOString())}`, {
      token: admin.token,
    });
    expect(after.body.data.map((e: { projectId: string }) => e.projectId)).toEqual([project]);
    const beforeRes = await api('GET', `${V}/activity?endTime=${encodeURIComponent(boundary.toISOString())}&limit=100`, {
      token: admin.token,
    });
    expect(beforeRes.body.data.some((e: { projectId: string }) => e.projectId === project)).toBe(false);
  });

  it('pages by cursor (newest first, no overlap) and by offset', async () => {
    const all = await api('GET', `${V}/activity?projectId=${projectId}&limit=100`, { token: admin.token });
    const ids: string[] = all.body.data.map((e: { id: string }) => e.id);
    expect(ids.length).toBeGreaterThan(6);
    const sequences = all.body.data.map((e: { sequence: number }) => e.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await api(
        'GET',
        `${V}/activity?projectId=${projectId}&limit=4${cursor ? `&nextCursor=${cursor}` : ''}`,
        { token: admin.token },
      );
      expect(res.status).toBe(200);
      paged.push(...res.body.data.map((e) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(ids);
    const offset = await api('GET', `${V}/activity?projectId=${projectId}&limit=3&offset=2`, { token: admin.token });
    expect(offset.body.data.map((e: { id: string }) => e.id)).toEqual(ids.slice(2, 5));
    const defaults = await api('GET', `${V}/activity?projectId=${projectId}`, { token: admin.token });
    expect(defaults.body.data).toHaveLength(Math.min(10, ids.length));
  });

  it('refuses bad input with a 400 that names the field', async () => {
    for (const query of [
      'limit=101',
      'limit=0',
      'startTime=yesterday',
      'nextCursor=bogus',
      'nextCursor=azAZ',
      'color=red',
      'actorId=a%20b',
    ]) {
      const res = await api('GET', `${V}/activity?${query}`, { token: admin.token });
      expectErrorEnvelope(res, 400, undefined, query);
    }
    const reversed = await api('GET', `${V}/activity?startTime=2026-02-01T00:00:00Z&endTime=2026-01-01T00:00:00Z`, {
      token: admin.token,
    });
    expectErrorEnvelope(reversed, 400, 'invalid_input');
    const anonymous = await api('GET', `${V}/activity`);
    expectErrorEnvelope(anonymous, 401, 'missing_token');
  });
});

describe('GET /activity/export/csv', () => {
  it('quotes per RFC 4180 and defuses formulas', async () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    expect(csvCell(null)).toBe('');
  });

  it('exports the same events as the JSON list, with a header row', async () => {
    const evil = await createProject(api, admin.token, '=HYPERLINK("http://evil.example","x")');
    const res = await api('GET', `/v2021-02-01/activity/export/csv?projectId=${evil}`, { token: admin.token });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = res.text.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(
      'sequence,id,timestamp,action,actorType,actorId,actorTokenId,projectId,organizationId,targetType,targetId,ip,userAgent,requestId,before,after,hash',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',project.create,user,');
    // The display name sits inside the JSON "after" cell: quoted, and no cell starts with "=".
    for (const cell of (lines[1] ?? '').split(',')) expect(cell.startsWith('=')).toBe(false);
    const denied = await api('GET', `${V}/activity/export/csv?projectId=${evil}`, { token: outsider.token });
    expect(denied.status).toBe(200);
    expect(denied.text.split('\r\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('gatehouse audit', () => {
  it('list and export read the API', async () => {
    const list = await gatehouse(['audit', 'list', '--project', projectId, '--limit', '3', '--json'], {
      GATEHOUSE_AUTH_TOKEN: admin.token,
    });
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).data).toHaveLength(3);
    const table = await gatehouse(['audit', 'list', '--action', 'project.create'], { GATEHOUSE_AUTH_TOKEN: admin.token });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/SEQ\s+TIME\s+ACTION/);
    expect(table.stdout).toContain(`project ${projectId}`);
    const csv = await gatehouse(['audit', 'export', '--project', projectId], { GATEHOUSE_AUTH_TOKEN: admin.token });
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.startsWith('sequence,id,timestamp,action')).toBe(true);
    const bad = await gatehouse(['audit', 'export', '--limit', '0'], { GATEHOUSE_AUTH_TOKEN: admin.token });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid_input');
  });

  it('verify reports an intact chain, then the exact event someone changed in the database', async () => {
    const count = (await allEvents()).length;
    const ok = await gatehouse(['audit', 'verify', '--database-url', server.databaseUrl]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe(`${count} events, chain intact`);

    const victim = (await allEvents())[Math.floor(count / 2)];
    if (!victim) throw new Error('no event to tamper with');
    // Only the table's owner gets past the triggers, by dropping or disabling them: what `verify` is for.
    if (server.database.dialect === 'postgres') {
      await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`.execute(db());
    } else {
      await sql`DROP TRIGGER audit_events_no_update`.execute(db());
    }
    await sql`UPDATE audit_events SET action = ${'robot.nothing-to-see'} WHERE id = ${victim.id}`.execute(db());
    const broken = await gatehouse(['audit', 'verify', '--database-url', server.databaseUrl]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`broken at sequence ${victim.sequence}, event ${victim.id}: hash mismatch`);
    const json = await gatehouse(['audit', 'verify', '--database-url', server.databaseUrl, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      intact: false,
      verified: Number(victim.sequence) - 1,
      break: { kind: 'hash_mismatch', sequence: Number(victim.sequence), eventId: victim.id },
    });
  });
});
