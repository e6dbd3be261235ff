import { describe, expect, it } from 'vitest';
import { activityQuery, filtersFromSearch, localToIso, NO_FILTERS, searchFromFilters } from './activity-filters';
import { readCookie } from './cookies';
import { FIRST_PAGE, nextPage, pageNumber, previousPage } from './cursor-stack';
import { expiryFor } from './expiry';
import { dayOf, endOfDay, plural } from './format';
import { cellKey, cellsOf, entriesOf, matrixColumns, toggled } from './matrix';
import { DEFAULT_NEXT, safeNext } from './next';
import { appearanceOf, parseThemeChoice, toggledChoice } from './theme';

describe('readCookie', () => {
  it('finds a cookie among others, and nothing for a prefix or an empty value', () => {
    const jar = 'theme=dark; gatehouse_csrf=abc-123_x; gatehouse_csrf_old=zzz';
    expect(readCookie(jar, 'gatehouse_csrf')).toBe('abc-123_x');
    expect(readCookie(jar, 'gatehouse')).toBeNull();
    expect(readCookie('gatehouse_csrf=', 'gatehouse_csrf')).toBeNull();
    expect(readCookie('', 'gatehouse_csrf')).toBeNull();
  });
});

describe('safeNext: where to go after signing in', () => {
  it('keeps a console path with its query and fragment', () => {
    expect(safeNext('/projects/p1/activity?actor=g1#top')).toBe('/projects/p1/activity?actor=g1#top');
  });

  it('refuses anything that could leave the console, and the sign-in pages themselves', () => {
    for (const value of [
      null,
      '',
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      'projects',
      '/sign-in?next=/x',
      '/auth/callback?sid=1',
    ]) {
      expect(safeNext(value), String(value)).toBe(DEFAULT_NEXT);
    }
  });
});

describe('cursor paging', () => {
  it('remembers the cursors of the pages seen, to go back', () => {
    const two = nextPage(FIRST_PAGE, 'c2');
    const three = nextPage(two, 'c3');
    expect(pageNumber(three)).toBe(3);
    expect(previousPage(three)).toEqual(two);
    expect(previousPage(previousPage(three))).toEqual(FIRST_PAGE);
    expect(previousPage(FIRST_PAGE)).toBe(FIRST_PAGE);
  });
});

describe('the permission matrix', () => {
  const permissions = [
    { name: 'sanity-project-members', title: 'Members', actions: ['invite', 'read', 'update', 'delete'] },
    { name: 'sanity-project-tokens', title: 'Tokens', actions: ['read', 'create', 'delete'] },
    { name: 'custom-docs', title: 'Docs', actions: ['read', 'mode'] },
  ];

  it('has one column per action, in the order actions first appear', () => {
    expect(matrixColumns(permissions)).toEqual(['invite', 'read', 'update', 'delete', 'create', 'mode']);
  });

  it('turns checked cells into role permissions in grid order, keeping the params an entry had', () => {
    let cells = cellsOf([{ name: 'custom-docs', action: 'mode', params: { mode: 'publish' } }]);
    cells = toggled(cells, cellKey('sanity-project-tokens', 'read'), true);
    cells = toggled(cells, cellKey('sanity-project-members', 'read'), true);
    cells = toggled(cells, cellKey('sanity-project-members', 'read'), false);
    expect(entriesOf(cells, permissions, [{ name: 'custom-docs', action: 'mode', params: { mode: 'publish' } }])).toEqual([
      { name: 'sanity-project-tokens', action: 'read', params: {} },
      { name: 'custom-docs', action: 'mode', params: { mode: 'publish' } },
    ]);
  });

  it('drops cells of permissions or actions the grid does not show', () => {
    const cells = new Set([cellKey('deleted-permission', 'read'), cellKey('sanity-project-tokens', 'fly')]);
    expect(entriesOf(cells, permissions)).toEqual([]);
  });
});

describe('activity filters in the address', () => {
  it('round-trip through the search params, leaving out empty ones', () => {
    const filters = { actor: 'g123', action: 'robot.create', from: '2025-01-09T10:00', to: '' };
    const search = searchFromFilters(filters);
    expect(search.toString()).toBe('actor=g123&action=robot.create&from=2025-01-09T10%3A00');
    expect(filtersFromSearch(search)).toEqual(filters);
    expect(searchFromFilters(NO_FILTERS).toString()).toBe('');
  });

  it('become the API query, times as RFC 3339', () => {
    const query = activityQuery('p1', { actor: 'r9', action: '', from: '2025-01-09T10:00', to: 'nonsense' });
    expect(query).toEqual({ projectId: ['p1'], actorId: ['r9'], startTime: new Date('2025-01-09T10:00').toISOString() });
    expect(localToIso('')).toBeUndefined();
  });
});

describe('token expiry from a picked date', () => {
  it('is the end of that day, but never past the latest expiry the organization allows', () => {
    const end = endOfDay('2030-05-01') as string;
    expect(new Date(end).getHours()).toBe(23);
    expect(dayOf(end)).toBe('2030-05-01');
    expect(expiryFor('2030-05-01', null)).toBe(end);
    const latest = new Date(2030, 4, 1, 9, 30).toISOString();
    expect(expiryFor('2030-05-01', latest)).toBe(latest);
    expect(expiryFor('2030-04-30', latest)).toBe(endOfDay('2030-04-30'));
    expect(expiryFor('not a day', latest)).toBeNull();
  });
});

describe('formatting and the theme', () => {
  it('counts', () => {
    expect(plural(1, 'role')).toBe('1 role');
    expect(plural(3, 'role')).toBe('3 roles');
  });

  it('follows the system until the person picks, then keeps the other appearance', () => {
    expect(parseThemeChoice(null)).toBe('system');
    expect(parseThemeChoice('dark')).toBe('dark');
    expect(parseThemeChoice('purple')).toBe('system');
    expect(appearanceOf('system', true)).toBe('dark');
    expect(appearanceOf('light', true)).toBe('light');
    expect(toggledChoice('dark')).toBe('light');
  });
});
