/**
 * The activity page's filters live in the address (`?actor=…&action=…&from=…&to=…`), so a filtered
 * view can be bookmarked, shared and reloaded. These turn the address into the API's query and back.
 */
export interface ActivityFilters {
  /** A user or robot id. */
  actor: string;
  /** An action, e.g. `robot.create`. */
  action: string;
  /** `YYYY-MM-DDTHH:mm` in the reader's zone (a datetime-local input), inclusive. */
  from: string;
  /** The same, exclusive. */
  to: string;
}

export const NO_FILTERS: ActivityFilters = { actor: '', action: '', from: '', to: '' };

export function filtersFromSearch(search: URLSearchParams): ActivityFilters {
  return {
    actor: search.get('actor')?.trim() ?? '',
    action: search.get('action')?.trim() ?? '',
    from: search.get('from') ?? '',
    to: search.get('to') ?? '',
  };
}

export function searchFromFilters(filters: ActivityFilters): URLSearchParams {
  const search = new URLSearchParams();
  for (const key of ['actor', 'action', 'from', 'to'] as const) {
    const value = filters[key].trim();
    if (value !== '') search.set(key, value);
  }
  return search;
}

/** A datetime-local value as RFC 3339, or undefined when empty or not a time. */
export function localToIso(value: string): string | undefined {
  if (value === '') return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/** The API query for a project's events with these filters (`GET /activity`, `/activity/export/csv`). */
export function activityQuery(projectId: string, filters: ActivityFilters) {
  return {
    projectId: [projectId],
    ...(filters.actor ? { actorId: [filters.actor] } : {}),
    ...(filters.action ? { action: [filters.action] } : {}),
    ...(localToIso(filters.from) ? { startTime: localToIso(filters.from) } : {}),
    ...(localToIso(filters.to) ? { endTime: localToIso(filters.to) } : {}),
  };
}
