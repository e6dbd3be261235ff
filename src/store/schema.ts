/**
 * Table types. Times are ISO-8601 UTC strings and JSON is text, in both dialects, so SQLite and
 * PostgreSQL return identical rows and every store module is dialect-free.
 */
import type { ColumnType, Kysely, Selectable, Transaction } from 'kysely';
import type { StoredEvent } from '../model/audit-chain.js';

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string | null;
  default_role_name: string;
  created_by_user_id: string;
  created_at: string;
  updated_at: string;
  /** Organization policy: longest robot token lifetime, or null for no limit. */
  robot_token_max_lifetime_days: number | null;
  /** Organization policy: 1 when robots may manage members and roles (given the permissions), 0 when not. */
  robots_may_manage_members: number;
  /** Lifetime of personal tokens from this organization's SSO; null: the server's default. */
  sso_token_lifetime_days: number | null;
  /** `allowed` or `disabled`: whether people may request access to the organization. */
  request_access_status: string;
}

export interface ProjectsTable {
  id: string;
  display_name: string;
  organization_id: string | null;
  studio_host: string | null;
  metadata: string;
  created_by_user_id: string;
  created_at: string;
  updated_at: string;
}

export interface UsersTable {
  id: string;
  email: string;
  display_name: string;
  given_name: string | null;
  family_name: string | null;
  image_url: string | null;
  provider: string;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
  /** argon2id PHC string; null for people who only log in through a provider. */
  password_hash: string | null;
}

export interface RobotsTable {
  id: string;
  label: string;
  resource_type: string;
  resource_id: string;
  created_by_id: string;
  created_at: string;
  expires_at: string | null;
}

export interface TokensTable {
  id: string;
  kind: string;
  principal_id: string;
  /** HMAC-SHA-256 of the token under the key named by key_id, base64url. Never the token. */
  digest: string;
  key_id: string;
  /** Last four characters, shown in listings. */
  hint: string;
  label: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  /** The token that replaced this one by rotation (its `revoked_at` may lie in the future: the grace period). */
  replaced_by: string | null;
  /** How the token was obtained: `admin`, `password`, `oidc:<provider>`, `saml:<provider>`; null for robots. */
  source: string | null;
  /** The organization whose SSO issued this personal token. */
  organization_id: string | null;
}

export interface MembershipsTable {
  /** Time-ordered id: the keyset pagination key of member lists. */
  id: string;
  resource_type: string;
  resource_id: string;
  principal_kind: string;
  principal_id: string;
  resource_user_id: string | null;
  added_at: string;
  last_seen_at: string | null;
}

export interface MembershipRolesTable {
  membership_id: string;
  role_name: string;
}

/**
 * Every column is declared once, in src/model/audit-chain.ts: the chained ones
 * (`AUDIT_CHAINED_FIELDS`; `sequence` and `previous_hash` null only for events written before the
 * chain existed) and the ones outside the hash (`AUDIT_UNCHAINED_FIELDS`: `hash`).
 */
export type AuditEventsTable = StoredEvent;

export interface AuditChainTable {
  /** Always 1: one row, the head of the chain. */
  id: number;
  sequence: number;
  hash: string;
  /** The hash the last append replaced (migration 0009); null before it. */
  previous_hash: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface InvitesTable {
  id: string;
  resource_type: string;
  resource_id: string;
  email: string;
  /** The first role the invitation gives (all of them are in `role_names`). */
  role_name: string;
  /** JSON array of every role the invitation gives; NULL for invitations made before it existed (`[role_name]`). */
  role_names: string | null;
  token_digest: string;
  status: string;
  invited_by_id: string;
  accepted_by_user_id: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
}

export interface AccessRequestsTable {
  id: string;
  resource_type: string;
  resource_id: string;
  requested_by_user_id: string;
  /** A pending request past its time shows as `expired` (services/access-requests.ts); that is never stored. */
  status: 'pending' | 'accepted' | 'declined';
  type: string;
  requested_role: string | null;
  note: string;
  request_url: string | null;
  updated_by_user_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface CorsOriginsTable {
  id: number;
  project_id: string;
  origin: string;
  allow_credentials: number;
  created_at: string;
  updated_at: string;
}

export interface RolesTable {
  resource_type: string;
  resource_id: string;
  name: string;
  title: string;
  description: string;
  applies_to_users: number;
  applies_to_robots: number;
  /** JSON `RolePermission[]` as written. */
  permissions: string;
  /** JSON `string[]`: the `<type>.<action>` grants of `permissions`, computed on write. */
  grants: string;
  created_at: string;
  updated_at: string;
}

export interface PermissionsTable {
  resource_type: string;
  resource_id: string;
  name: string;
  type: string;
  title: string;
  description: string;
  /** JSON object or null. */
  config: string | null;
  created_at: string;
  updated_at: string;
}

export interface IdentityProvidersTable {
  id: string;
  organization_id: string;
  kind: string;
  name: string;
  title: string;
  /** JSON; secrets in it are encrypted with the server key. */
  config: string;
  disabled: number;
  created_at: string;
  updated_at: string;
}

export interface IdentitiesTable {
  provider_id: string;
  subject: string;
  user_id: string;
  created_at: string;
  last_login_at: string | null;
}

export interface LoginFlowsTable {
  id: string;
  provider: string;
  origin: string;
  label: string;
  type: string;
  /** JSON: what the provider needs back (PKCE verifier, nonce, SAML request id). */
  data: string;
  created_at: string;
  expires_at: string;
}

export interface LoginSessionsTable {
  /** HMAC of the sid; the sid itself is only in the redirect. */
  digest: string;
  user_id: string;
  label: string;
  source: string;
  organization_id: string | null;
  lifetime_days: number;
  created_at: string;
  expires_at: string;
}

export interface ResourceVersionsTable {
  resource_type: string;
  resource_id: string;
  version: number;
}

/** An e-mail domain the operator approved for an organization's single sign-on. */
export interface OrganizationDomainsTable {
  /** Lowercase, no trailing dot. */
  domain: string;
  organization_id: string;
  added_at: string;
  /** Who approved it: `operator` (the CLI on the database). */
  added_by: string;
}

/** One abuse-limit bucket shared by every node on the database. */
export interface RateLimitCountersTable {
  /** Keyed digest of the bucket name (scope and address or account). */
  key: string;
  count: number;
  window_ends_at: string;
  last_at: string;
}

/** A message waiting to be sent, or sent (its payload then emptied). */
export interface MailOutboxTable {
  id: string;
  kind: string;
  recipient: string;
  /** The sealed message (subject, text, html); null once sent or given up. */
  payload: string | null;
  created_at: string;
  attempts: number;
  next_attempt_at: string;
  /** A sender is working on it until then (several nodes share the outbox). */
  claimed_until: string | null;
  sent_at: string | null;
  failed_at: string | null;
  last_error: string | null;
}

/** How often a robot exercised a permission on a resource, per UTC day. */
export interface RobotPermissionUsageTable {
  robot_id: string;
  resource_type: string;
  resource_id: string;
  permission: string;
  day: string;
  count: number;
  last_used_at: string;
}

/** Counts maintained on write (migration 0005): members by kind, and human holders per role. */
export interface ResourceCountsTable {
  resource_type: string;
  resource_id: string;
  /** `members:user`, `members:robot`, or `role:<name>` (human holders of a role). */
  name: string;
  n: number;
}

export interface Database {
  organizations: OrganizationsTable;
  projects: ProjectsTable;
  users: UsersTable;
  robots: RobotsTable;
  tokens: TokensTable;
  memberships: MembershipsTable;
  membership_roles: MembershipRolesTable;
  audit_events: AuditEventsTable;
  resource_versions: ResourceVersionsTable;
  resource_counts: ResourceCountsTable;
  roles: RolesTable;
  permissions: PermissionsTable;
  identity_providers: IdentityProvidersTable;
  identities: IdentitiesTable;
  login_flows: LoginFlowsTable;
  login_sessions: LoginSessionsTable;
  audit_chain: AuditChainTable;
  invites: InvitesTable;
  access_requests: AccessRequestsTable;
  cors_origins: CorsOriginsTable;
  organization_domains: OrganizationDomainsTable;
  rate_limit_counters: RateLimitCountersTable;
  mail_outbox: MailOutboxTable;
  robot_permission_usage: RobotPermissionUsageTable;
}

/** Anything a store function can run on: the database, or a transaction in progress. */
export type Executor = Kysely<Database> | Transaction<Database>;

export type OrganizationRow = Selectable<OrganizationsTable>;
export type ProjectRow = Selectable<ProjectsTable>;
/** A user as everything but login sees it: never with the password hash. */
export type UserRow = Omit<Selectable<UsersTable>, 'password_hash'>;
export type RobotRow = Selectable<RobotsTable>;
export type TokenRow = Selectable<TokensTable>;
export type MembershipRow = Selectable<MembershipsTable>;
export type RoleRow = Selectable<RolesTable>;
export type PermissionRow = Selectable<PermissionsTable>;
export type IdentityProviderRow = Selectable<IdentityProvidersTable>;
export type IdentityRow = Selectable<IdentitiesTable>;
export type LoginFlowRow = Selectable<LoginFlowsTable>;
export type LoginSessionRow = Selectable<LoginSessionsTable>;
export type InviteRow = Selectable<InvitesTable>;
export type AccessRequestRow = Selectable<AccessRequestsTable>;
export type CorsOriginRow = Selectable<CorsOriginsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type OrganizationDomainRow = Selectable<OrganizationDomainsTable>;
export type MailOutboxRow = Selectable<MailOutboxTable>;
export type RobotPermissionUsageRow = Selectable<RobotPermissionUsageTable>;
