/**
 * E-mail and password login, end to end: a person logs in (and signs up) in real headless
 * Chromium and the CLI-style loopback callback collects the sid; no answer tells an unknown address
 * from a wrong password (nor their timing); sign-up open and closed; every password rule; origins,
 * expired and reused flows; form bodies only where forms are taken; the password change.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, newWatchedPage, withBrowser } from '../support/browser.js';
import { createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const PASSWORD = 'violet tugboat 42 lanterns';
/** A directory to save screenshots of the pages in, to look at them (e.g. /tmp/login-pages). */
const SCREENSHOTS = process.env.GATEHOUSE_LOGIN_SCREENSHOTS;
const HTML = { accept: 'text/html,application/xhtml+xml' };

let open: TestServer;
let closed: TestServer;
let api: Api;
let apiClosed: Api;
let callback: Callback;
/** Every password and token this file handled: none may ever appear in the server's logs. */
const secrets = new Set<string>([PASSWORD]);

interface Callback {
  /** `http://127.0.0.1:<port>/callback`, what a CLI would pass as `origin`. */
  url: string;
  origin: string;
  close(): Promise<void>;
}

/** A tiny loopback HTTP server standing in for the CLI's callback. */
async function startCallback(): Promise<Callback> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('Logged in. You can close this window.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  [open, closed, callback] = await Promise.all([
    startTestServer({ identity: { signup: 'open' } }),
    startTestServer(),
    startCallback(),
  ]);
  api = apiClient(open.url);
  apiClosed = apiClient(closed.url);
});

afterAll(async () => {
  await Promise.all([open?.close(), closed?.close(), callback?.close()]);
});

// --- Helpers ---------------------------------------------------------------------------------------

function loginPath(origin = callback.url, label = 'test'): string {
  return `/v1/auth/login/sanity?origin=${encodeURIComponent(origin)}&type=token&label=${encodeURIComponent(label)}`;
}

/** Opens the login page over HTTP: its HTML and the flow id in its form. */
async function startLogin(client: Api = api): Promise<{ html: string; flow: string; headers: Headers }> {
  const res = await client('GET', loginPath(), { headers: HTML });
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  const flow = /name="flow" value="([^"]+)"/.exec(res.text)?.[1];
  expect(flow, 'flow field').toBeDefined();
  return { html: res.text, flow: flow as string, headers: res.headers };
}

/** Posts an HTML form (as a browser would, or as a plain client without `html`). */
async function postForm(server: TestServer, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return apiClient(server.url)('POST', path, {
    rawBody: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

/** A user with a password: created by the operator path, then the password set through the API. */
async function userWithPassword(server: TestServer, email: string, password = PASSWORD) {
  const user = await server.createUser(email);
  secrets.add(user.token);
  const res = await apiClient(server.url)('PUT', `${V}/users/me/password`, {
    token: user.token,
    body: { newPassword: password },
  });
  expect(res.status, res.text).toBe(204);
  return user;
}

/** Follows a successful login's redirect: the sid on the callback, exchanged for a token. */
async function tokenFromRedirect(location: string | null, client: Api = api): Promise<string> {
  expect(location).toMatch(new RegExp(`^${callback.url}\\?`));
  const target = new URL(location as string);
  const sid = target.searchParams.get('sid') as string;
  expect(sid.length).toBeGreaterThanOrEqual(20);
  const fetched = await client('GET', `/v1/auth/fetch?sid=${sid}`);
  expect(fetched.status, fetched.text).toBe(200);
  secrets.add(fetched.body.token);
  return fetched.body.token;
}

async function userRow(server: TestServer, email: string) {
  return server.running.store.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

async function auditActions(server: TestServer, userId: string): Promise<string[]> {
  const rows = await server.running.store.db
    .selectFrom('audit_events')
    .select(['action', 'after'])
    .where('target_id', '=', userId)
    .orderBy('id')
    .execute();
  for (const row of rows) for (const secret of secrets) expect(row.after ?? '').not.toContain(secret);
  return rows.map((row) => row.action);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

// --- In the browser ----------------------------------------------------------------------------------

describe.skipIf(!haveChromium)('in real headless Chromium', () => {
  it('a person logs in with e-mail and password and the callback gets a sid that works once', async () => {
    const user = await userWithPassword(open, 'ada@example.com');
    await withBrowser(async (browser) => {
      const { page, problems } = await newWatchedPage(browser);
      try {
        await page.goto(`${open.url}${loginPath()}`);
        expect(await page.title()).toContain('Log in');
        if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/login.png`, fullPage: true });
        expect(await page.locator('.for').textContent()).toContain(callback.origin.replace('http://', ''));
        await page.fill('#email', 'ada@example.com');
        await page.fill('#password', PASSWORD);
        await Promise.all([page.waitForURL((url) => url.href.startsWith(callback.url)), page.click('button[type=submit]')]);
        expect(await page.textContent('body')).toContain('Logged in');

        const landed = new URL(page.url());
        const sid = landed.searchParams.get('sid') as string;
        expect(sid.length).toBeGreaterThanOrEqual(20);
        // The CLI convention: `url` is this server's fetch URL with the same sid.
        expect(landed.searchParams.get('url')).toBe(`${open.url}/v1/auth/fetch?sid=${sid}`);

        const fetched = await api('GET', `/v1/auth/fetch?sid=${sid}`);
        expect(fetched.status, fetched.text).toBe(200);
        expect(fetched.body.label).toBe('test');
        secrets.add(fetched.body.token);
        const me = await api('GET', `${V}/users/me`, { token: fetched.body.token });
        expect(me.status).toBe(200);
        expect(me.body).toMatchObject({ id: user.userId, email: 'ada@example.com' });

        const again = await api('GET', `/v1/auth/fetch?sid=${sid}`);
        expectErrorEnvelope(again, 401, 'invalid_sid');
        expect(problems).toEqual([]);
      } catch (error) {
        await page.screenshot({ path: '/tmp/gatehouse-login-password-failure.png', fullPage: true }).catch(() => {});
        throw error;
      }
    });
  }, 60_000);

  it('a wrong password shows the form again with the message, and the same login then succeeds', async () => {
    await userWithPassword(open, 'grace@example.com');
    await withBrowser(async (browser) => {
      const { page, problems } = await newWatchedPage(browser);
      await page.goto(`${open.url}${loginPath()}`);
      await page.fill('#email', 'grace@example.com');
      await page.fill('#password', 'not the password at all');
      const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      expect(response?.status()).toBe(401);
      expect(await page.textContent('.error .message')).toBe('Invalid e-mail or password');
      expect(await page.inputValue('#email')).toBe('grace@example.com');
      expect(await page.inputValue('#password')).toBe('');
      if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/login-error.png`, fullPage: true });

      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL((url) => url.href.startsWith(callback.url)), page.click('button[type=submit]')]);
      const sid = new URL(page.url()).searchParams.get('sid');
      const fetched = await api('GET', `/v1/auth/fetch?sid=${sid}`);
      expect(fetched.status).toBe(200);
      secrets.add(fetched.body.token);
      // The failed attempt's 401 is the only console message a browser shows for it.
      expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    });
  }, 60_000);

  it('a person signs up from the login page and is logged in', async () => {
    const signupPassword = 'marmalade orbit seventeen';
    secrets.add(signupPassword);
    await withBrowser(async (browser) => {
      const { page, problems } = await newWatchedPage(browser);
      await page.goto(`${open.url}${loginPath()}`);
      await Promise.all([page.waitForNavigation(), page.click('text=Sign up')]);
      expect(page.url()).toContain('/v1/auth/signup/sanity?flow=');
      if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/signup.png`, fullPage: true });
      await page.fill('#name', 'Katherine Johnson');
      await page.fill('#email', 'Katherine@Example.com');
      await page.fill('#password', signupPassword);
      await Promise.all([page.waitForURL((url) => url.href.startsWith(callback.url)), page.click('button[type=submit]')]);
      const sid = new URL(page.url()).searchParams.get('sid');
      const fetched = await api('GET', `/v1/auth/fetch?sid=${sid}`);
      expect(fetched.status, fetched.text).toBe(200);
      secrets.add(fetched.body.token);
      const me = await api('GET', `${V}/users/me`, { token: fetched.body.token });
      expect(me.body).toMatchObject({ name: 'Katherine Johnson', email: 'katherine@example.com', provider: 'sanity' });
      expect(problems).toEqual([]);
    });
    const row = await userRow(open, 'katherine@example.com');
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await auditActions(open, row?.id as string)).toContain('user.signup');
  }, 60_000);
});

// --- No enumeration ------------------------------------------------------------------------------------

describe('no user enumeration', () => {
  let disabledEmail: string;
  let noPasswordEmail: string;
  const knownEmail = 'known@example.com';

  beforeAll(async () => {
    await userWithPassword(open, knownEmail);
    disabledEmail = 'disabled@example.com';
    const disabled = await userWithPassword(open, disabledEmail);
    await open.running.store.db
      .updateTable('users')
      .set({ disabled_at: new Date().toISOString() })
      .where('id', '=', disabled.userId)
      .execute();
    noPasswordEmail = 'nopassword@example.com';
    await open.createUser(noPasswordEmail);
  });

  /** The four ways to be wrong: unknown address, wrong password, no password, disabled account. */
  function attempts(): Array<[string, string, string]> {
    return [
      ['unknown address', 'nobody-here@example.com', PASSWORD],
      ['wrong password', knownEmail, 'definitely wrong password'],
      ['account without a password', noPasswordEmail, PASSWORD],
      ['disabled account (right password)', disabledEmail, PASSWORD],
    ];
  }

  it('every wrong login gets the same status and the same page or envelope', async () => {
    const { flow } = await startLogin();
    const pages = new Set<string>();
    const envelopes = new Set<string>();
    for (const [label, email, password] of attempts()) {
      const page = await postForm(open, '/v1/auth/login/sanity', { flow, email, password }, HTML);
      expect(page.status, label).toBe(401);
      expect(page.headers.get('content-type'), label).toBe('text/html; charset=utf-8');
      expect(page.text, label).toContain('Invalid e-mail or password');
      // The form comes back with the address typed: the only difference, and not the server's.
      pages.add(page.text.replaceAll(email, '<email>'));

      const json = await postForm(open, '/v1/auth/login/sanity', { flow, email, password });
      expectErrorEnvelope(json, 401, 'invalid_credentials', label);
      expect(json.body.message).toBe('Invalid e-mail or password');
      envelopes.add(json.text);
    }
    expect(pages.size).toBe(1);
    expect(envelopes.size).toBe(1);
  });

  it('an unknown address takes about as long as a wrong password (one argon2 verification each)', async () => {
    const { flow } = await startLogin();
    const time = async (email: string, password: string) => {
      const started = performance.now();
      const res = await postForm(open, '/v1/auth/login/sanity', { flow, email, password });
      expect(res.status).toBe(401);
      return performance.now() - started;
    };
    await time('warm-up@example.com', 'warm-up password');
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 7; i++) {
      unknown.push(await time(`unknown-${i}@example.com`, `wrong password ${i}`));
      wrong.push(await time(knownEmail, `wrong password ${i}`));
    }
    const [a, b] = [median(unknown), median(wrong)];
    expect(Math.max(a, b) / Math.min(a, b), `medians ${a.toFixed(1)} ms vs ${b.toFixed(1)} ms`).toBeLessThan(3);
  });
});

// --- Sign-up --------------------------------------------------------------------------------------------

describe('sign-up', () => {
  it('closed (the default): no link on the login page, and both sign-up routes answer 403 signup_closed', async () => {
    const { html, flow } = await startLogin(apiClosed);
    expect(html).not.toContain('Sign up');
    expectErrorEnvelope(await apiClosed('GET', `/v1/auth/signup/sanity?flow=${flow}`), 403, 'signup_closed');
    const page = await apiClosed('GET', `/v1/auth/signup/sanity?flow=${flow}`, { headers: HTML });
    expect(page.status).toBe(403);
    expect(page.text).toContain('signup_closed');
    const post = await postForm(closed, '/v1/auth/signup/sanity', {
      flow,
      name: 'Eve',
      email: 'eve@example.com',
      password: 'a fine long password',
    });
    expectErrorEnvelope(post, 403, 'signup_closed');
    expect(post.body.reason.hint).toContain('GATEHOUSE_SIGNUP');
    expect(await userRow(closed, 'eve@example.com')).toBeUndefined();
  });

  it('open: the login page links to the sign-up form of the same login', async () => {
    const { html, flow } = await startLogin();
    expect(html).toContain(`href="/v1/auth/signup/sanity?flow=${flow}"`);
    const page = await api('GET', `/v1/auth/signup/sanity?flow=${flow}`, { headers: HTML });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${callback.origin}`);
    for (const field of ['name', 'email', 'password', 'flow']) expect(page.text).toContain(`name="${field}"`);
  });

  it('every password rule refuses with 400 weak_password naming the rule, and creates nothing', async () => {
    const email = 'Rules.Tester@example.com';
    const cases: Array<[string, string]> = [
      ['abcde1234', 'too_short'],
      ['🦊🐙🦉🐢🦋🐝🦀🐌🦎', 'too_short'], // 9 code points, 18 UTF-16 units
      ['x7'.repeat(64).concat('y'), 'too_long'], // 129
      ['qwertyuiop', 'common'],
      ['QwErTyUiOp', 'common'],
      ['Password123', 'common'],
      ['rules.tester@example.com', 'matches_email'],
      ['RULES.TESTER', 'matches_email'],
      ['zzzzzzzzzzzz', 'repetitive'],
      ['bcdefghijklmn', 'repetitive'],
      ['ZYXWVUTSRQ', 'repetitive'],
    ];
    // The same rules apply to a password change (a user of the same address, on the other server).
    const changer = await userWithPassword(closed, email);
    for (const [password, rule] of cases) {
      const { flow } = await startLogin();
      const res = await postForm(open, '/v1/auth/signup/sanity', { flow, name: 'Rules', email, password });
      expectErrorEnvelope(res, 400, 'weak_password', `${password} → ${rule}`);
      expect(res.body.reason.rule, password).toBe(rule);
      expect(res.body.reason.field).toBe('password');
      expect(res.body.message.length).toBeGreaterThan(20);
      const change = await apiClosed('PUT', `${V}/users/me/password`, {
        token: changer.token,
        body: { currentPassword: PASSWORD, newPassword: password },
      });
      expectErrorEnvelope(change, 400, 'weak_password', `change to ${password}`);
      expect(change.body.reason.rule).toBe(rule);
      expect(change.body.reason.field).toBe('newPassword');
    }
    expect(await userRow(open, 'rules.tester@example.com')).toBeUndefined();

    // A browser gets the form again with the message and what it typed (but never the password).
    const { flow } = await startLogin();
    const page = await postForm(open, '/v1/auth/signup/sanity', { flow, name: 'Rules', email, password: 'qwertyuiop' }, HTML);
    expect(page.status).toBe(400);
    expect(page.text).toContain('most commonly used passwords');
    expect(page.text).toContain(`value="${email}"`);
    expect(page.text).not.toContain('qwertyuiop');

    // The boundaries: exactly 10 and 128 code points pass.
    for (const password of ['🦊🐙🦉🐢🦋🐝🦀🐌🦎🐞', 'Plum7-kite', 'x7'.repeat(64)]) {
      const { flow: f } = await startLogin();
      const address = `edge-${[...password].length}-${password.length}@example.com`;
      const res = await postForm(open, '/v1/auth/signup/sanity', { flow: f, name: 'Edge', email: address, password });
      expect(res.status, `${password}: ${res.text.slice(0, 200)}`).toBe(303);
    }
  });

  it('an address that already has an account gets 409 signup_unavailable, and the account is untouched', async () => {
    const owner = await userWithPassword(open, 'taken@example.com');
    const noPassword = await open.createUser('taken-nopassword@example.com');
    const answers = new Set<string>();
    for (const email of [' Taken@Example.com ', 'taken-nopassword@example.com']) {
      const { flow } = await startLogin();
      const res = await postForm(open, '/v1/auth/signup/sanity', {
        flow,
        name: 'Mallory',
        email,
        password: 'mallory owns this now',
      });
      expectErrorEnvelope(res, 409, 'signup_unavailable', email);
      answers.add(res.text);
      const page = await postForm(
        open,
        '/v1/auth/signup/sanity',
        { flow, name: 'Mallory', email, password: 'mallory owns this now' },
        HTML,
      );
      expect(page.status).toBe(409);
      expect(page.text).toContain('log in');
    }
    expect(answers.size).toBe(1);
    // Nothing changed: the old password still logs in, the new one does not, the name is the same.
    const { flow } = await startLogin();
    const wrong = await postForm(open, '/v1/auth/login/sanity', {
      flow,
      email: 'taken@example.com',
      password: 'mallory owns this now',
    });
    expectErrorEnvelope(wrong, 401, 'invalid_credentials');
    const right = await postForm(open, '/v1/auth/login/sanity', { flow, email: 'taken@example.com', password: PASSWORD });
    expect(right.status).toBe(303);
    const token = await tokenFromRedirect(right.headers.get('location'));
    expect((await api('GET', `${V}/users/me`, { token })).body.id).toBe(owner.userId);
    expect((await userRow(open, 'taken-nopassword@example.com'))?.password_hash).toBeNull();
    expect(await auditActions(open, noPassword.userId)).not.toContain('user.signup');
  });

  it('a sign-up checks its inputs: a bad address and an empty name are 400 invalid_input', async () => {
    const { flow } = await startLogin();
    const bad = await postForm(open, '/v1/auth/signup/sanity', { flow, name: 'X', email: 'not-an-address', password: PASSWORD });
    expectErrorEnvelope(bad, 400, 'invalid_input');
    expect(bad.body.reason.field).toBe('email');
    const blank = await postForm(open, '/v1/auth/signup/sanity', {
      flow,
      name: '   ',
      email: 'blank@example.com',
      password: PASSWORD,
    });
    expectErrorEnvelope(blank, 400, 'invalid_input');
    expect(blank.body.reason.field).toBe('name');
  });

  it('a successful sign-up creates a `sanity` user with an argon2id hash and a one-year token', async () => {
    const { flow } = await startLogin();
    const res = await postForm(open, '/v1/auth/signup/sanity', {
      flow,
      name: 'Dorothy Vaughan',
      email: 'dorothy@example.com',
      password: PASSWORD,
    });
    expect(res.status, res.text).toBe(303);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const token = await tokenFromRedirect(res.headers.get('location'));
    const row = await userRow(open, 'dorothy@example.com');
    expect(row).toMatchObject({ provider: 'sanity', display_name: 'Dorothy Vaughan' });
    expect(row?.password_hash?.startsWith('$argon2id$')).toBe(true);
    const tokenRow = await open.running.store.db
      .selectFrom('tokens')
      .selectAll()
      .where('principal_id', '=', row?.id as string)
      .executeTakeFirstOrThrow();
    expect(tokenRow).toMatchObject({ source: 'password', label: 'test', organization_id: null });
    const days = (Date.parse(tokenRow.expires_at as string) - Date.parse(tokenRow.created_at)) / 86_400_000;
    expect(Math.round(days)).toBe(365);
    expect((await api('GET', `${V}/users/me`, { token })).status).toBe(200);
    // The flow is used up with the sign-up.
    const again = await postForm(open, '/v1/auth/signup/sanity', {
      flow,
      name: 'D',
      email: 'dorothy2@example.com',
      password: PASSWORD,
    });
    expectErrorEnvelope(again, 400, 'login_expired');
    expect(await userRow(open, 'dorothy2@example.com')).toBeUndefined();
  });
});

// --- Flows, origins, media types ------------------------------------------------------------------------

describe('login flows', () => {
  it('only loopback and console origins may receive a login: others are 400 invalid_origin', async () => {
    for (const origin of ['https://evil.example/callback', 'http://example.com:8080/callback', 'http://localhost/callback']) {
      const res = await api('GET', loginPath(origin));
      expectErrorEnvelope(res, 400, 'invalid_origin', origin);
    }
  });

  it('the login page: a form with the flow, no script, a CSP that lets the form end at the origin', async () => {
    const { html, headers } = await startLogin();
    expect(html).toContain('action="/v1/auth/login/sanity"');
    expect(html).not.toMatch(/<script/i);
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`form-action 'self' ${callback.origin}`);
    expect(csp).toContain("default-src 'none'");
    expect(headers.get('x-frame-options')).toBe('DENY');
  });

  it('what the login page shows is escaped', async () => {
    const res = await api('GET', loginPath(callback.url, '<script>alert("x")</script> & co'), { headers: HTML });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script>');
    expect(res.text).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; co');
  });

  it('a flow is single use: posting the same form again after a login is 400 login_expired', async () => {
    await userWithPassword(open, 'once@example.com');
    const { flow } = await startLogin();
    const first = await postForm(open, '/v1/auth/login/sanity', { flow, email: 'once@example.com', password: PASSWORD });
    expect(first.status).toBe(303);
    await tokenFromRedirect(first.headers.get('location'));
    const second = await postForm(open, '/v1/auth/login/sanity', { flow, email: 'once@example.com', password: PASSWORD });
    expectErrorEnvelope(second, 400, 'login_expired');
  });

  it('a flow expires after 10 minutes: login_expired, as the envelope or as a page', async () => {
    await userWithPassword(closed, 'late@example.com');
    const { flow } = await startLogin(apiClosed);
    closed.advance(10 * 60_000 + 1_000);
    const json = await postForm(closed, '/v1/auth/login/sanity', { flow, email: 'late@example.com', password: PASSWORD });
    expectErrorEnvelope(json, 400, 'login_expired');
    const page = await postForm(closed, '/v1/auth/login/sanity', { flow, email: 'late@example.com', password: PASSWORD }, HTML);
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('login_expired');
    expect(page.text).toContain('This login has expired');
    // An unknown flow is the same.
    const unknown = await postForm(closed, '/v1/auth/login/sanity', {
      flow: 'x'.repeat(32),
      email: 'late@example.com',
      password: PASSWORD,
    });
    expectErrorEnvelope(unknown, 400, 'login_expired');
  });

  it('a form another site makes the browser post is refused (login CSRF)', async () => {
    await userWithPassword(open, 'csrf@example.com');
    const { flow } = await startLogin();
    const fields = { flow, email: 'csrf@example.com', password: PASSWORD };
    for (const site of ['cross-site', 'same-site']) {
      const res = await postForm(open, '/v1/auth/login/sanity', fields, { 'sec-fetch-site': site });
      expectErrorEnvelope(res, 403, 'cross_site_form', site);
    }
    const ok = await postForm(open, '/v1/auth/login/sanity', fields, { 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(303);
    await tokenFromRedirect(ok.headers.get('location'));
  });

  it('a form whose Origin is another site, or null, is refused even without Sec-Fetch-Site; the own origin is accepted', async () => {
    await userWithPassword(open, 'origin-csrf@example.com');
    for (const origin of ['https://evil.example', 'null', `${open.url}.evil.example`, 'http://localhost:1']) {
      const { flow } = await startLogin();
      const fields = { flow, email: 'origin-csrf@example.com', password: PASSWORD };
      const res = await postForm(open, '/v1/auth/login/sanity', fields, { origin });
      expectErrorEnvelope(res, 403, 'cross_site_form', origin);
      // The sign-up form is guarded the same way.
      const signup = await postForm(open, '/v1/auth/signup/sanity', { ...fields, name: 'Eve' }, { origin });
      expectErrorEnvelope(signup, 403, 'cross_site_form', origin);
    }
    const { flow } = await startLogin();
    const fields = { flow, email: 'origin-csrf@example.com', password: PASSWORD };
    const ok = await postForm(open, '/v1/auth/login/sanity', fields, { origin: open.url });
    expect(ok.status, ok.text).toBe(303);
    await tokenFromRedirect(ok.headers.get('location'));
  });
});

describe('media types', () => {
  it('a form posted to a JSON route is 415; JSON or text posted to a form route is 415', async () => {
    const owner = await open.createUser();
    const asForm = await api('POST', `${V}/projects`, {
      token: owner.token,
      rawBody: 'displayName=Formed',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectErrorEnvelope(asForm, 415, 'unsupported_media_type');
    expect(asForm.body.message).toContain('application/json');
    const { flow } = await startLogin();
    for (const type of ['application/json', 'text/plain']) {
      const res = await api('POST', '/v1/auth/login/sanity', {
        rawBody: JSON.stringify({ flow, email: 'a@example.com', password: 'x' }),
        headers: { 'content-type': type },
      });
      expectErrorEnvelope(res, 415, 'unsupported_media_type', type);
      expect(res.body.message).toContain('application/x-www-form-urlencoded');
    }
  });

  it('the OpenAPI document says the form routes take forms', async () => {
    const doc = (await api('GET', '/docs/json')).body;
    for (const path of ['/{apiVersion}/auth/login/sanity', '/{apiVersion}/auth/signup/sanity']) {
      expect(Object.keys(doc.paths[path].post.requestBody.content), path).toEqual(['application/x-www-form-urlencoded']);
    }
    expect(Object.keys(doc.paths['/{apiVersion}/users/me/password'].put.requestBody.content)).toEqual(['application/json']);
  });

  it('form bodies are validated like JSON ones: unknown and prototype keys, missing fields, size', async () => {
    const { flow } = await startLogin();
    const post = (rawBody: string) =>
      api('POST', '/v1/auth/login/sanity', { rawBody, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const base = `flow=${flow}&email=a%40example.com&password=x`;
    const extra = await post(`${base}&admin=1`);
    expectErrorEnvelope(extra, 400, 'invalid_input');
    expect(extra.body.reason.field).toBe('body.admin');
    const proto = await post(`${base}&__proto__=polluted`);
    expectErrorEnvelope(proto, 400, 'invalid_input');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const missing = await post(`flow=${flow}&email=a%40example.com`);
    expectErrorEnvelope(missing, 400, 'invalid_input');
    expect(missing.body.message).toContain('"password"');
    const huge = await post(`${base}&pad=${'x'.repeat(70 * 1024)}`);
    expectErrorEnvelope(huge, 413, 'body_too_large');
  });
});

// --- Changing a password --------------------------------------------------------------------------------

describe('PUT /users/me/password', () => {
  it('sets a first password, then changes it with the current one; tokens stay valid', async () => {
    const user = await open.createUser('changer@example.com');
    secrets.add(user.token);
    const set = await api('PUT', `${V}/users/me/password`, { token: user.token, body: { newPassword: PASSWORD } });
    expect(set.status, set.text).toBe(204);

    const missing = await api('PUT', `${V}/users/me/password`, {
      token: user.token,
      body: { newPassword: 'another fine password' },
    });
    expectErrorEnvelope(missing, 400, 'current_password_required');
    const wrong = await api('PUT', `${V}/users/me/password`, {
      token: user.token,
      body: { currentPassword: 'not it at all', newPassword: 'another fine password' },
    });
    expectErrorEnvelope(wrong, 403, 'invalid_current_password');
    const newPassword = 'another fine password';
    secrets.add(newPassword);
    const changed = await api('PUT', `${V}/users/me/password`, {
      token: user.token,
      body: { currentPassword: PASSWORD, newPassword },
    });
    expect(changed.status, changed.text).toBe(204);
    expect((await api('GET', `${V}/users/me`, { token: user.token })).status).toBe(200);

    const { flow } = await startLogin();
    const old = await postForm(open, '/v1/auth/login/sanity', { flow, email: 'changer@example.com', password: PASSWORD });
    expectErrorEnvelope(old, 401, 'invalid_credentials');
    const fresh = await postForm(open, '/v1/auth/login/sanity', { flow, email: 'changer@example.com', password: newPassword });
    expect(fresh.status).toBe(303);
    await tokenFromRedirect(fresh.headers.get('location'));
    expect(await auditActions(open, user.userId)).toEqual(expect.arrayContaining(['user.password.set', 'user.password.change']));
  });

  it('a first password needs a recent login: a token older than 15 minutes gets 403 reauthentication_required', async () => {
    const user = await open.createUser();
    secrets.add(user.token);
    open.advance(16 * 60_000);
    try {
      const late = await api('PUT', `${V}/users/me/password`, { token: user.token, body: { newPassword: PASSWORD } });
      expectErrorEnvelope(late, 403, 'reauthentication_required');
      expect(late.body.reason.hint).toContain('15 minutes');
    } finally {
      open.advance(-16 * 60_000);
    }
    const hash = await open.running.store.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.userId)
      .executeTakeFirstOrThrow();
    expect(hash.password_hash).toBeNull();
  });

  it('only users have passwords: robots get 403 principal_not_accepted, anonymous callers 401', async () => {
    const owner = await open.createUser();
    const projectId = await createProject(api, owner.token, 'Password robots');
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    const res = await api('PUT', `${V}/users/me/password`, { token: robot.token, body: { newPassword: PASSWORD } });
    expectErrorEnvelope(res, 403, 'principal_not_accepted');
    // The answer says why (robots have no password) and what to use instead (a personal token).
    expect(res.body.message).toBe('Robots are not allowed');
    expect(res.body.reason).toMatchObject({ principalKind: 'robot', accepts: ['user'] });
    expect(res.body.reason.hint).toContain('robots have no password');
    expect(res.body.reason.hint).toContain('gatehouse login');
    expectErrorEnvelope(await api('PUT', `${V}/users/me/password`, { body: { newPassword: PASSWORD } }), 401);
  });
});

describe('secrets', () => {
  it('no password or token was ever logged', () => {
    const logs = open.logs() + closed.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
