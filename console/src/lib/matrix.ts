/**
 * The resource × action grid of a role's permissions. Which actions a permission has comes from
 * the server (`GET …/permissions`); this only arranges them and turns checked cells back into a
 * role's `permissions`, keeping the params an existing entry had.
 */
export interface MatrixPermission {
  name: string;
  title: string;
  actions: readonly string[];
}

export interface RolePermissionEntry {
  name: string;
  action: string;
  params?: Record<string, unknown>;
}

/** Every action of any permission, in the order they first appear: the grid's columns. */
export function matrixColumns(permissions: readonly MatrixPermission[]): string[] {
  const columns: string[] = [];
  for (const permission of permissions)
    for (const action of permission.actions) if (!columns.includes(action)) columns.push(action);
  return columns;
}

export const cellKey = (name: string, action: string) => `${name}\u0000${action}`;

/** The checked cells of a role's permissions. */
export function cellsOf(entries: readonly RolePermissionEntry[]): Set<string> {
  return new Set(entries.map((e) => cellKey(e.name, e.action)));
}

/**
 * The role's `permissions` for the checked cells, in grid order; an entry the role had keeps its
 * params, a new one has none. Cells of permissions or actions the grid does not show (a permission
 * deleted since) are dropped.
 */
export function entriesOf(
  cells: ReadonlySet<string>,
  permissions: readonly MatrixPermission[],
  previous: readonly RolePermissionEntry[] = [],
): Array<{ name: string; action: string; params: Record<string, unknown> }> {
  const out: Array<{ name: string; action: string; params: Record<string, unknown> }> = [];
  for (const permission of permissions) {
    for (const action of permission.actions) {
      if (!cells.has(cellKey(permission.name, action))) continue;
      const before = previous.find((e) => e.name === permission.name && e.action === action);
      out.push({ name: permission.name, action, params: before?.params ?? {} });
    }
  }
  return out;
}

/** Toggles one cell, returning a new set. */
export function toggled(cells: ReadonlySet<string>, key: string, on: boolean): Set<string> {
  const next = new Set(cells);
  if (on) next.add(key);
  else next.delete(key);
  return next;
}
