/** API versions (model/versions.ts): `/v1`, `/vX` and `/vYYYY-MM-DD`, and nothing else. */
import { describe, expect, it } from 'vitest';
import { behaviourFor, parseApiVersion, VERSION_FORMS } from '../../src/model/versions.js';

const NOON = Date.UTC(2025, 5, 15, 12, 0, 0); // 2025-06-15T12:00:00Z

function refused(segment: string, now = NOON): string {
  const result = parseApiVersion(segment, now);
  if (result.ok) throw new Error(`${segment} was accepted`);
  return result.message;
}

describe('accepted versions', () => {
  it('v1 and vX', () => {
    expect(parseApiVersion('v1', NOON)).toEqual({ ok: true, version: { kind: 'v1', label: 'v1' } });
    expect(parseApiVersion('vX', NOON)).toEqual({ ok: true, version: { kind: 'experimental', label: 'vX' } });
  });

  it('real dates up to today', () => {
    for (const date of ['2021-03-25', '2025-01-09', '2024-02-29', '2000-01-01', '2025-06-15']) {
      expect(parseApiVersion(`v${date}`, NOON)).toEqual({ ok: true, version: { kind: 'dated', label: `v${date}`, date } });
    }
  });

  it('tomorrow, to allow for clock skew, at any time of day', () => {
    for (const hour of [0, 6, 12, 23]) {
      const now = Date.UTC(2025, 5, 15, hour, 59, 59);
      expect(parseApiVersion('v2025-06-16', now).ok, `at ${hour}:59`).toBe(true);
    }
  });
});

describe('refused versions name the accepted forms', () => {
  it('the day after tomorrow, at any time of day', () => {
    for (const hour of [0, 6, 12, 23]) {
      const now = Date.UTC(2025, 5, 15, hour, 59, 59);
      expect(refused('v2025-06-17', now)).toBe(`Invalid API version: v2025-06-17 is in the future; use ${VERSION_FORMS}`);
    }
    expect(refused('v2999-01-01')).toContain('in the future');
  });

  it('dates that are not in the calendar', () => {
    for (const segment of [
      'v2025-02-30',
      'v2025-02-29',
      'v2025-13-01',
      'v2025-00-10',
      'v2025-04-31',
      'v2025-01-00',
      'v2025-13-45',
    ]) {
      expect(refused(segment)).toBe(`Invalid API version: ${segment} is not a calendar date; use ${VERSION_FORMS}`);
    }
  });

  it('other versions and shapes', () => {
    for (const segment of [
      'v2',
      'v3',
      'v0',
      'v1.0',
      'vx',
      'V1',
      'VX',
      'v',
      '',
      'version1',
      'v2025-1-9',
      'v20250109',
      '2025-01-09',
      'v2025-01-09x',
    ]) {
      const message = refused(segment);
      expect(message, segment).toContain('`v1`, `vX` or `vYYYY-MM-DD`');
      expect(message, segment).toMatch(/^Invalid API version/);
    }
  });

  it('long input is cut short in the message', () => {
    const message = refused(`v${'9'.repeat(500)}`);
    expect(message.length).toBeLessThan(200);
    expect(message).toContain('…');
  });

  it('the clock defaults to now', () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(parseApiVersion(`v${today}`).ok).toBe(true);
    const later = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    expect(parseApiVersion(`v${later}`).ok).toBe(false);
  });
});

describe('behaviour registry', () => {
  it('a flag nobody registered is off for every version', () => {
    for (const segment of ['v1', 'vX', 'v2025-01-09']) {
      const result = parseApiVersion(segment, NOON);
      if (!result.ok) throw new Error(segment);
      expect(behaviourFor(result.version, 'no-such-flag')).toBe(false);
    }
  });
});
