/**
 * `gatehouse orgs list|create|get|policies`: organizations and their policies, over the API; and
 * `gatehouse orgs domains list|add|remove`: the e-mail domains the operator approves for an
 * organization's single sign-on, on the database directly (an operator command: no organization
 * administrator can approve a domain, see services/login/sso-accounts.ts).
 */
import type { Command } from 'commander';
import type { Organization, OrganizationPolicies } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { type ConfigOptions, onDatabase, operatorModules, type Store, withDatabaseOptions } from '../operator.js';
import { formatFields, formatTime, printJson, printLines, printTable, text } from '../output.js';

interface DomainOptions extends ConfigOptions {
  json?: boolean;
}

interface PolicyFlags extends ClientOptions {
  robotTokenMaxLifetimeDays?: string;
  robotsMayManageMembers?: string;
}

export function registerOrgs(program: Command, ctx: CliContext): void {
  const orgs = program.command('orgs').description('list, create and inspect organizations and their policies');

  withClientOptions(orgs.command('list'))
    .description('list the organizations you are a member of')
    .action(async (options: ClientOptions) => {
      const { client } = connect(ctx, options);
      const list = await client.get<Organization[]>('/organizations');
      if (options.json) return printJson(ctx, list);
      printTable(
        ctx,
        list,
        [
          { header: 'ID', value: (o) => o.id },
          { header: 'NAME', value: (o) => o.name },
          { header: 'SLUG', value: (o) => text(o.slug) },
          { header: 'CREATED', value: (o) => formatTime(o.createdAt) },
        ],
        'No organizations. Create one with `gatehouse orgs create <name>`.',
      );
    });

  withClientOptions(orgs.command('create'))
    .description('create an organization; you become its administrator')
    .argument('<name>', 'the organization name people see')
    .option('--slug <slug>', 'short unique name: 1–20 lowercase letters, digits and dashes')
    .action(async (name: string, options: ClientOptions & { slug?: string }) => {
      if (name.trim() === '') throw usageError('the organization name must not be empty');
      const { client } = connect(ctx, options);
      const org = await client.post<Organization>('/organizations', {
        name,
        ...(options.slug !== undefined ? { slug: options.slug } : {}),
      });
      if (options.json) return printJson(ctx, org);
      printLines(ctx, [`Created organization ${org.id} (${org.name})`]);
    });

  withClientOptions(orgs.command('get'))
    .description('show one organization and its members')
    .argument('<organizationId>', 'organization id')
    .action(async (organizationId: string, options: ClientOptions) => {
      const { client } = connect(ctx, options);
      const org = await client.get<Organization>(`/organizations/${encodeURIComponent(organizationId)}`, {
        query: { includeMembers: 'true' },
      });
      if (options.json) return printJson(ctx, org);
      ctx.stdout(
        formatFields([
          ['ID', org.id],
          ['Name', org.name],
          ['Slug', text(org.slug)],
          ['Default role', text(org.defaultRoleName)],
          ['Created', formatTime(org.createdAt)],
          ['Members', String(org.members?.length ?? 0)],
        ]),
      );
      const members = org.members ?? [];
      if (members.length === 0) return;
      ctx.stdout('\n');
      printTable(
        ctx,
        members,
        [
          { header: 'MEMBER', value: (m) => m.sanityUserId },
          { header: 'NAME', value: (m) => text(m.user?.displayName) },
          { header: 'EMAIL', value: (m) => text(m.user?.email) },
          { header: 'ROLES', value: (m) => (m.roles ?? []).map((r) => r.name).join(', ') || '-' },
        ],
        '',
      );
    });

  withClientOptions(orgs.command('policies'))
    .description("show an organization's policies, or change them with the flags below")
    .argument('<organizationId>', 'organization id')
    .option('--robot-token-max-lifetime-days <n|none>', 'longest lifetime of new robot tokens, in days; `none`: no limit')
    .option('--robots-may-manage-members <true|false>', 'whether robots may change members and roles')
    .addHelpText(
      'after',
      `
Examples:
  gatehouse orgs policies <id>                                    # show
  gatehouse orgs policies <id> --robot-token-max-lifetime-days 90 --robots-may-manage-members false`,
    )
    .action(async (organizationId: string, options: PolicyFlags) => {
      const patch = policyPatch(options);
      const { client } = connect(ctx, options);
      const path = `/organizations/${encodeURIComponent(organizationId)}/policies`;
      const changed = Object.keys(patch).length > 0;
      const policies = changed
        ? await client.patch<OrganizationPolicies>(path, patch)
        : await client.get<OrganizationPolicies>(path);
      if (options.json) return printJson(ctx, policies);
      if (changed) printLines(ctx, [`Updated the policies of organization ${organizationId}`, '']);
      ctx.stdout(
        formatFields([
          ['Organization', policies.organizationId],
          [
            'Robot token max lifetime',
            policies.robotTokenMaxLifetimeDays === null ? 'none' : `${policies.robotTokenMaxLifetimeDays} days`,
          ],
          ['Robots may manage members', policies.robotsMayManageMembers ? 'yes' : 'no'],
          ['Updated', formatTime(policies.updatedAt)],
        ]),
      );
    });

  registerDomains(orgs, ctx);
}

/** `gatehouse orgs domains …`: operator commands on the configured database. */
function registerDomains(orgs: Command, ctx: CliContext): void {
  const domains = orgs
    .command('domains')
    .description(
      "operator: the e-mail domains an organization's single sign-on may log in (works on the database, like `admin`)",
    );
  const now = () => new Date();
  const command = (name: string) => withDatabaseOptions(domains.command(name)).option('--json', 'print JSON');

  command('list')
    .description("list the domains approved for an organization's single sign-on")
    .argument('<organizationId>', 'organization id')
    .action(async (organizationId: string, options: DomainOptions) => {
      const { listDomains } = await operatorModules.ssoDomains();
      const rows = await onDatabase(ctx, options, 'list the domains', async (store) => {
        await migrated(store);
        return listDomains(store.db, organizationId);
      });
      if (options.json) return printJson(ctx, rows);
      printTable(
        ctx,
        rows,
        [
          { header: 'DOMAIN', value: (d) => d.domain },
          { header: 'APPROVED', value: (d) => formatTime(d.addedAt) },
        ],
        `No approved domains: the single sign-on of ${organizationId} logs nobody in. Approve one with \`gatehouse orgs domains add ${organizationId} <domain>\`.`,
      );
    });

  command('add')
    .description("approve a domain: the organization's providers may log in its addresses (if the account belongs to it alone)")
    .argument('<organizationId>', 'organization id')
    .argument('<domain>', 'the part after the @, e.g. acme.example')
    .action(async (organizationId: string, domain: string, options: DomainOptions) => {
      const { approveDomain } = await operatorModules.ssoDomains();
      const result = await onDatabase(ctx, options, 'approve the domain', async (store) => {
        await migrated(store);
        return approveDomain(store.db, organizationId, domain, now());
      });
      if (options.json) return printJson(ctx, { ...result.domain, added: result.added });
      printLines(ctx, [
        result.added
          ? `Approved ${result.domain.domain} for the single sign-on of organization ${organizationId}.`
          : `${result.domain.domain} was already approved for organization ${organizationId}: nothing changed.`,
      ]);
    });

  command('remove')
    .description("withdraw a domain: the organization's providers stop logging in its addresses")
    .argument('<organizationId>', 'organization id')
    .argument('<domain>', 'the part after the @')
    .action(async (organizationId: string, domain: string, options: DomainOptions) => {
      const { removeDomain } = await operatorModules.ssoDomains();
      const removed = await onDatabase(ctx, options, 'remove the domain', async (store) => {
        await migrated(store);
        return removeDomain(store.db, organizationId, domain, now());
      });
      if (options.json) return printJson(ctx, { organizationId, domain, removed });
      printLines(ctx, [
        removed
          ? `Removed ${domain} from the single sign-on of organization ${organizationId}.`
          : `${domain} is not approved for organization ${organizationId}: nothing changed.`,
      ]);
    });
}

/** Operator commands may run before the server ever started: bring the schema up to date first. */
async function migrated(store: Store): Promise<void> {
  const { migrateToLatest } = await operatorModules.migrations();
  await migrateToLatest(store.db);
}

/** The PATCH body from the flags given; refuses malformed values before anything is sent. */
function policyPatch(options: PolicyFlags): Partial<Omit<OrganizationPolicies, 'organizationId' | 'updatedAt'>> {
  const patch: Partial<Omit<OrganizationPolicies, 'organizationId' | 'updatedAt'>> = {};
  const days = options.robotTokenMaxLifetimeDays;
  if (days !== undefined) {
    if (days === 'none') patch.robotTokenMaxLifetimeDays = null;
    else if (/^\d{1,6}$/.test(days) && Number(days) >= 1) patch.robotTokenMaxLifetimeDays = Number(days);
    else throw usageError(`--robot-token-max-lifetime-days must be a whole number of days (1 or more) or none, got "${days}"`);
  }
  const manage = options.robotsMayManageMembers;
  if (manage !== undefined) {
    if (manage !== 'true' && manage !== 'false') {
      throw usageError(`--robots-may-manage-members must be true or false, got "${manage}"`);
    }
    patch.robotsMayManageMembers = manage === 'true';
  }
  return patch;
}
