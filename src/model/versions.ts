/**
 * API versions: `/v1`, `/vX` and `/vYYYY-MM-DD`.
 *
 * A dated version means "the API as it was on that date". Any real calendar date up to tomorrow
 * (UTC, to allow for clock skew between a client and us) is accepted; everything else is refused
 * with a message naming the accepted forms, so `/v2` is an explained 400, never a silent 404.
 */
export type ApiVersion =
  | { kind: 'v1'; label: 'v1' }
  | { kind: 'experimental'; label: 'vX' }
  | { kind: 'dated'; label: string; date: string };

export const VERSION_FORMS = '`v1`, `vX` or `vYYYY-MM-DD` (a real date, not in the future)';

export type VersionResult = { ok: true; version: ApiVersion } | { ok: false; message: string };

const DATED = /^v(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export function parseApiVersion(segment: string, now = Date.now()): VersionResult {
  if (segment === 'v1') return { ok: true, version: { kind: 'v1', label: 'v1' } };
  if (segment === 'vX') return { ok: true, version: { kind: 'experimental', label: 'vX' } };
  const match = DATED.exec(segment);
  if (match) {
    const [, y, m, d] = match;
    const time = Date.UTC(Number(y), Number(m) - 1, Number(d));
    const back = new Date(time);
    const real = back.getUTCFullYear() === Number(y) && back.getUTCMonth() === Number(m) - 1 && back.getUTCDate() === Number(d);
    if (!real) return { ok: false, message: `Invalid API version: ${segment} is not a calendar date; use ${VERSION_FORMS}` };
    if (time > now + DAY_MS) {
      return { ok: false, message: `Invalid API version: ${segment} is in the future; use ${VERSION_FORMS}` };
    }
    return { ok: true, version: { kind: 'dated', label: segment, date: segment.slice(1) } };
  }
  return { ok: false, message: `Invalid API version: ${truncate(segment)}; use ${VERSION_FORMS}` };
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Behaviour that changes over time, looked up by date. `v1` is the original behaviour; `vX` is
 * always the newest. A change adds an entry here and reads it with `behaviourFor`; nothing else in
 * the code compares version strings.
 */
export const BEHAVIOUR_CHANGES = [] as const satisfies ReadonlyArray<{ since: string; flag: string; note: string }>;

export function behaviourFor(version: ApiVersion, flag: string): boolean {
  const change = (BEHAVIOUR_CHANGES as ReadonlyArray<{ since: string; flag: string }>).find((c) => c.flag === flag);
  if (!change) return false;
  if (version.kind === 'experimental') return true;
  if (version.kind === 'v1') return false;
  return version.date >= change.since;
}
