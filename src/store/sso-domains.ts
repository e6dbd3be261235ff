/** E-mail domains an operator approved for organizations' single sign-on, and the tokens it issued. */
import { changes, noteChange } from './changes.js';
import type { Executor, OrganizationDomainRow } from './schema.js';

export async function domainsOf(db: Executor, organizationId: string): Promise<OrganizationDomainRow[]> {
  return db
    .selectFrom('organization_domains')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('domain')
    .execute();
}

export async function findDomain(db: Executor, domain: string): Promise<OrganizationDomainRow | undefined> {
  return db.selectFrom('organization_domains').selectAll().where('domain', '=', domain).executeTakeFirst();
}

export async function insertDomain(db: Executor, row: OrganizationDomainRow): Promise<void> {
  await db.insertInto('organization_domains').values(row).execute();
}

export async function deleteDomain(db: Executor, domain: string): Promise<boolean> {
  const result = await db.deleteFrom('organization_domains').where('domain', '=', domain).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Revokes, at `at`, the personal tokens of `userIds` that an organization's single sign-on issued
 * and that still work: those of `organizationId`, or (with `except`) of every organization but that
 * one. Returns the ids of the tokens revoked, with their owner and organization.
 */
export async function revokeSsoTokens(
  db: Executor,
  userIds: readonly string[],
  which: { organizationId: string } | { except: string | null },
  at: string,
): Promise<Array<{ id: string; principal_id: string; organization_id: string | null }>> {
  if (userIds.length === 0) return [];
  const live = await db
    .selectFrom('tokens')
    .select(['id', 'principal_id', 'organization_id'])
    .where('principal_id', 'in', userIds)
    .where('kind', '=', 'user')
    .where('organization_id', 'is not', null)
    .$if('organizationId' in which, (q) => q.where('organization_id', '=', (which as { organizationId: string }).organizationId))
    .$if('except' in which && (which as { except: string | null }).except !== null, (q) =>
      q.where('organization_id', '!=', (which as { except: string }).except),
    )
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', at)]))
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
    .execute();
  if (live.length === 0) return [];
  await db
    .updateTable('tokens')
    .set({ revoked_at: at })
    .where(
      'id',
      'in',
      live.map((t) => t.id),
    )
    .execute();
  await noteChange(db, ...live.map((t) => changes.token(t.id)));
  return live;
}
