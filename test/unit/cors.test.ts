/**
 * CORS origins (src/model/cors.ts): which entries may be stored, how a request's Origin header is
 * read, and which entry lets it in (exact before wildcard, oldest wildcard first; the matched entry
 * decides credentials).
 */
import { describe, expect, it } from 'vitest';
import {
  type CorsEntry,
  canonicalRequestOrigin,
  explainOrigin,
  MAX_ORIGIN_LENGTH,
  matchOrigin,
  normalizeOrigin,
} from '../../src/model/cors.js';

function normalized(input: string, allowCredentials = false): string {
  const check = normalizeOrigin(input, allowCredentials);
  if (!check.ok) throw new Error(`expected ${input} to be accepted: ${check.message}`);
  return check.origin;
}

function refusal(input: string, allowCredentials = false): string {
  const check = normalizeOrigin(input, allowCredentials);
  if (check.ok) throw new Error(`expected ${input} to be refused, got ${check.origin}`);
  return check.message;
}

describe('normalizeOrigin', () => {
  it.each([
    ['https://Studio.Example.org', 'https://studio.example.org'],
    ['https://studio.example.org:443', 'https://studio.example.org'],
    ['http://studio.example.org:80', 'http://studio.example.org'],
    ['http://localhost:03333', 'http://localhost:3333'],
    ['https://studio.example.org/', 'https://studio.example.org'],
    ['  https://studio.example.org  ', 'https://studio.example.org'],
    ['HTTPS://studio.example.org', 'https://studio.example.org'],
    ['https://studio.example.org:80', 'https://studio.example.org:80'],
    ['http://[::1]:3333', 'http://[::1]:3333'],
    ['https://*.example.org', 'https://*.example.org'],
    ['https://pr-*.example.org', 'https://pr-*.example.org'],
    ['http://localhost:*', 'http://localhost:*'],
    ['NULL', 'null'],
    ['file:///*', 'file:///*'],
  ])('stores %s as %s', (input, expected) => {
    expect(normalized(input)).toBe(expected);
  });

  it('marks wildcard entries', () => {
    expect(normalizeOrigin('https://*.example.org', false)).toMatchObject({ ok: true, wildcard: true });
    expect(normalizeOrigin('http://localhost:*', false)).toMatchObject({ ok: true, wildcard: true });
    expect(normalizeOrigin('*', false)).toMatchObject({ ok: true, wildcard: true });
    expect(normalizeOrigin('https://example.org', false)).toMatchObject({ ok: true, wildcard: false });
    expect(normalizeOrigin('null', false)).toMatchObject({ ok: true, wildcard: false });
  });

  it('allows * only without credentials', () => {
    expect(normalized('*')).toBe('*');
    expect(refusal('*', true)).toMatch(/may not include credentials/);
  });

  it.each([
    ['', /must include protocol/],
    ['studio.example.org', /must include protocol/],
    ['ftp://example.org', /must be http or https/],
    ['https://example.org/path', /without a path/],
    ['https://example.org?q=1', /without a path/],
    ['https://example.org#x', /without a path/],
    ['https://user:pw@example.org', /no user name or password/],
    ['https://', /host is missing/],
    ['https://example.org:0', /port must be/],
    ['https://example.org:65536', /port must be/],
    ['https://example.org:abc', /port must be/],
    ['https://exa_mple.org', /letters, digits, hyphens/],
    ['https://-example.org', /letters, digits, hyphens/],
    ['file:///home/me/index.html', /only file origin allowed/],
  ])('refuses %j', (input, message) => {
    expect(refusal(input)).toMatch(message);
  });

  it(`refuses an origin over ${MAX_ORIGIN_LENGTH} characters, quoting only the start of it`, () => {
    const long = `https://${'a'.repeat(MAX_ORIGIN_LENGTH)}.org`;
    const message = refusal(long);
    expect(message).toMatch(/at most 300 characters/);
    expect(message.length).toBeLessThan(200);
  });
});

describe('canonicalRequestOrigin', () => {
  it('lower-cases the host and drops the default port', () => {
    expect(canonicalRequestOrigin('https://Studio.Example.org:443')).toBe('https://studio.example.org');
    expect(canonicalRequestOrigin('http://localhost:3333')).toBe('http://localhost:3333');
    expect(canonicalRequestOrigin('null')).toBe('null');
    expect(canonicalRequestOrigin('file://')).toBe('file://');
  });

  it.each([
    'https://example.org/path',
    'https://example.org?x=1',
    'https://user@example.org',
    'ftp://example.org',
    'not an origin',
    `https://${'a'.repeat(MAX_ORIGIN_LENGTH)}.org`,
  ])('refuses %j', (header) => {
    expect(canonicalRequestOrigin(header)).toBeNull();
  });
});

describe('matching', () => {
  const entry = (id: number, origin: string, allowCredentials = false): CorsEntry => ({ id, origin, allowCredentials });

  it('an exact entry wins over a wildcard, whatever their order', () => {
    const entries = [entry(1, 'https://*.example.org'), entry(2, 'https://studio.example.org', true)];
    expect(matchOrigin('https://studio.example.org', entries)).toEqual(entries[1]);
    expect(explainOrigin('https://studio.example.org', entries).withCredentials).toBe(true);
  });

  it('among wildcards the oldest (lowest id) wins, whatever the list order', () => {
    const entries = [entry(7, 'https://*.example.org', true), entry(3, 'https://*', false)];
    expect(matchOrigin('https://studio.example.org', entries)?.id).toBe(3);
    expect(explainOrigin('https://studio.example.org', entries).withCredentials).toBe(false);
  });

  it('a * in a host label stands for at least one character, and may span labels', () => {
    const entries = [entry(1, 'https://*.example.org')];
    expect(matchOrigin('https://a.example.org', entries)).not.toBeNull();
    expect(matchOrigin('https://a.b.example.org', entries)).not.toBeNull();
    expect(matchOrigin('https://example.org', entries)).toBeNull();
    expect(matchOrigin('https://.example.org', entries)).toBeNull();
    expect(matchOrigin('https://a.example.org.evil.com', entries)).toBeNull();
    expect(matchOrigin('https://aexample.org', entries)).toBeNull();
  });

  it('dots in an entry are literal, not "any character"', () => {
    expect(matchOrigin('https://studioxexample.org', [entry(1, 'https://studio.example.org')])).toBeNull();
  });

  it('the protocol and port must match; a * port matches any, including the default', () => {
    expect(matchOrigin('http://studio.example.org', [entry(1, 'https://studio.example.org')])).toBeNull();
    expect(matchOrigin('https://studio.example.org:8443', [entry(1, 'https://studio.example.org')])).toBeNull();
    const anyPort = [entry(1, 'http://localhost:*')];
    expect(matchOrigin('http://localhost:3333', anyPort)).not.toBeNull();
    expect(matchOrigin('http://localhost', anyPort)).not.toBeNull();
    expect(matchOrigin('https://localhost:3333', anyPort)).toBeNull();
  });

  it('a request origin with a default port or upper case matches the stored canonical entry', () => {
    expect(matchOrigin('https://STUDIO.example.org:443', [entry(1, 'https://studio.example.org')])).not.toBeNull();
  });

  it('null and file: pages match only their own entries (or *)', () => {
    const web = [entry(1, 'https://*.example.org'), entry(2, 'http://localhost:*')];
    expect(matchOrigin('null', web)).toBeNull();
    expect(matchOrigin('file://', web)).toBeNull();
    expect(matchOrigin('null', [entry(1, 'null')])?.id).toBe(1);
    expect(matchOrigin('file://', [entry(1, 'file:///*')])?.id).toBe(1);
    expect(matchOrigin('https://example.org', [entry(1, 'null'), entry(2, 'file:///*')])).toBeNull();
    expect(matchOrigin('null', [entry(1, '*')])?.id).toBe(1);
  });

  it('an invalid request origin matches nothing, not even *', () => {
    expect(matchOrigin('https://example.org/path', [entry(1, '*')])).toBeNull();
  });

  it('explains every entry with the reason it matches or not', () => {
    const explanation = explainOrigin('http://studio.example.org:8080', [
      entry(1, 'https://studio.example.org'),
      entry(2, 'http://studio.example.org'),
      entry(3, 'http://*.other.org:*'),
      entry(4, 'http://studio.example.org:*', true),
    ]);
    expect(explanation).toMatchObject({ normalized: 'http://studio.example.org:8080', allowed: true, withCredentials: true });
    expect(explanation.matched?.id).toBe(4);
    expect(explanation.entries.map((e) => [e.id, e.matches, e.reason])).toEqual([
      [1, false, 'the protocol differs (http is not https)'],
      [2, false, 'the port differs (8080 is not 80 (default))'],
      [3, false, expect.stringContaining('does not match the pattern')],
      [4, true, 'wildcard match'],
    ]);
    expect(explanation.summary).toContain('allowed by entry 4');
  });

  it('says when nothing is allowed at all', () => {
    expect(explainOrigin('https://example.org', [])).toMatchObject({ allowed: false, matched: null });
    expect(explainOrigin('https://example.org', []).summary).toContain('allows no origins');
    expect(explainOrigin('nonsense', []).summary).toContain('is not a valid origin');
  });
});
