/**
 * An organization's own identity providers (OpenID Connect and SAML): list, get, create, replace,
 * delete. Their logins live in services/identity/{oidc,saml}.ts; this module owns what is stored
 * and how it is checked.
 *
 * The stored `config` is the checked input with its defaults filled in, in the same camelCase
 * fields the API takes, except that an OIDC client secret is kept only sealed with the server key
 * (`clientSecretSealed`, model/secret-box.ts, bound to the provider id). Views never carry it: they
 * say `clientSecretSet`. `readOidcConfig` and `readSamlConfig` are how login code reads a row.
 *
 * SAML role mappings grant project roles at login, so writing one is granting those roles: each
 * project must belong to the organization, each role must exist there and apply to people, and the
 * caller must be able to grant it themselves (the no-escalation rule of services/invariants.ts).
 */
import { X509Certificate } from 'node:crypto';
import { Problem, problems } from '../model/errors.js';
import { randomId } from '../model/ids.js';
import { MAX_SECRET_LENGTH, openSecret, SecretBoxError, sealSecret } from '../model/secret-box.js';
import type { ServerKey } from '../model/tokens.js';
import {
  deleteIdentityProvider,
  findIdentityProvider,
  identityProvidersOf,
  insertIdentityProvider,
  updateIdentityProvider,
} from '../store/identity.js';
import { findOrganization, findOrganizationBySlug } from '../store/organizations.js';
import { findProject } from '../store/projects.js';
import type { Executor, IdentityProviderRow } from '../store/schema.js';
import { audit } from './audit.js';
import type { AuthService } from './auth.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { outboundPolicyOf } from './identity/outbound.js';
import { type DomainView, listDomains } from './identity/sso-accounts.js';
import { checkGrantable, type Granter } from './invariants.js';

export type ProviderType = 'oidc' | 'saml';

/** Provider ids: `oidc-…` or `saml-…`, lowercase letters and digits after the dash. */
export const PROVIDER_ID_PATTERN = '^(oidc|saml)-[a-z0-9]{10,40}$';
const PROVIDER_ID = new RegExp(PROVIDER_ID_PATTERN);

/** More would make the unpaginated list and the login chooser unwieldy; nobody needs that many. */
export const MAX_PROVIDERS_PER_ORGANIZATION = 20;
export const MAX_ROLE_MAPPINGS = 200;
export const MAX_CERT_LENGTH = 20 * 1024;

export const DEFAULT_OIDC_SCOPES = ['openid', 'email', 'profile'];
export const DEFAULT_EMAIL_CLAIM = 'email';
export const DEFAULT_NAME_CLAIM = 'name';
export const DEFAULT_GROUPS_ATTRIBUTE = 'groups';
export const DEFAULT_NAME_ATTRIBUTE = 'displayName';

/** The `config` object as the API takes it: the fields of both types, each checked per type. */
export interface ProviderConfigInput {
  issuer?: string | undefined;
  clientId?: string | undefined;
  /** Write-only. On replace: absent keeps the stored secret, null removes it. */
  clientSecret?: string | null | undefined;
  scopes?: string[] | undefined;
  emailClaim?: string | undefined;
  nameClaim?: string | undefined;
  entryPoint?: string | undefined;
  idpIssuer?: string | undefined;
  idpCert?: string | undefined;
  groupsAttribute?: string | undefined;
  emailAttribute?: string | undefined;
  nameAttribute?: string | undefined;
  roleMappings?: RoleMapping[] | undefined;
}

export interface ProviderInput {
  type: ProviderType;
  title: string;
  disabled?: boolean | undefined;
  config: ProviderConfigInput;
}

export interface RoleMapping {
  group: string;
  projectId: string;
  roleNames: string[];
}

/** An organization's OIDC provider as stored (`identity_providers.config`). */
export interface StoredOidcConfig {
  issuer: string;
  clientId: string;
  clientSecretSealed: string | null;
  scopes: string[];
  emailClaim: string;
  nameClaim: string;
}

/** An organization's SAML provider as stored; `emailAttribute` absent means: the NameID. */
export interface SamlConfig {
  entryPoint: string;
  idpIssuer: string;
  idpCert: string;
  groupsAttribute: string;
  emailAttribute?: string;
  nameAttribute: string;
  roleMappings: RoleMapping[];
}

/** What OIDC login needs, the client secret opened. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  scopes: string[];
  emailClaim: string;
  nameClaim: string;
}

const OIDC_FIELDS = ['issuer', 'clientId', 'clientSecret', 'scopes', 'emailClaim', 'nameClaim'] as const;
const SAML_FIELDS = [
  'entryPoint',
  'idpIssuer',
  'idpCert',
  'groupsAttribute',
  'emailAttribute',
  'nameAttribute',
  'roleMappings',
] as const;

/** The secret box context of a provider's client secret: a sealed secret opens only in its own row. */
function secretContext(providerId: string): string {
  return `identity_providers.config.clientSecret:${providerId}`;
}

/** An organization OIDC provider's settings, its client secret opened with the server keys. */
export function readOidcConfig(row: IdentityProviderRow, keys: readonly ServerKey[]): OidcSettings {
  const stored = JSON.parse(row.config) as StoredOidcConfig;
  return {
    issuer: stored.issuer,
    clientId: stored.clientId,
    clientSecret: stored.clientSecretSealed ? openSecret(stored.clientSecretSealed, keys, secretContext(row.id)) : null,
    scopes: stored.scopes ?? DEFAULT_OIDC_SCOPES,
    emailClaim: stored.emailClaim ?? DEFAULT_EMAIL_CLAIM,
    nameClaim: stored.nameClaim ?? DEFAULT_NAME_CLAIM,
  };
}

/** An organization SAML provider's settings. */
export function readSamlConfig(row: IdentityProviderRow): SamlConfig {
  return JSON.parse(row.config) as SamlConfig;
}

export function providerNotFound(organizationId: string, providerId: string): Problem {
  return problems.notFound(`Identity provider not found: ${providerId}`, {
    resourceType: 'identityProvider',
    resourceId: providerId,
    hint: `List the organization's providers with GET /organizations/${organizationId}/providers.`,
  });
}

function invalidConfig(field: string, message: string, hint: string): Problem {
  return new Problem(400, message, { code: 'invalid_input', field, hint });
}

/**
 * An absolute http(s) URL without credentials or fragment. Whether its scheme and host may be used
 * is the outbound policy's to say (services/identity/outbound.ts), checked before the write.
 */
function checkUrl(value: string, field: string, what: string, { query }: { query: boolean }): string {
  const hint = `Give ${what} as an absolute https:// URL.`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidConfig(field, `${field} is not a URL`, hint);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidConfig(field, `${field} must use https`, hint);
  if (url.username !== '' || url.password !== '' || url.hash !== '' || (!query && url.search !== '')) {
    throw invalidConfig(field, `${field} must not carry credentials${query ? '' : ', a query'} or a fragment`, hint);
  }
  return value;
}

/**
 * The URLs this server will fetch (an OIDC issuer) or send browsers to (a SAML entry point) must be
 * https at public addresses, unless the operator allowed the host: checked, names resolved, before
 * the write transaction.
 */
async function checkOutboundUrls(deps: Deps, input: ProviderInput): Promise<void> {
  const policy = outboundPolicyOf(deps.identity);
  const [field, value] =
    input.type === 'oidc' ? ['config.issuer', input.config.issuer] : ['config.entryPoint', input.config.entryPoint];
  if (value === undefined) return;
  checkUrl(value, field, input.type === 'oidc' ? 'the issuer' : 'the identity provider’s SSO URL', {
    query: input.type === 'saml',
  });
  await policy.checkConfigured(value, field);
}

/** A PEM certificate or its base64 DER body, as node-saml takes it; checked by parsing it. */
function checkCertificate(value: string): string {
  const text = value.trim();
  const hint =
    'Paste the identity provider’s signing certificate: PEM (-----BEGIN CERTIFICATE-----…) or its base64 body, as its metadata shows it.';
  if (text.length > MAX_CERT_LENGTH) {
    throw invalidConfig('config.idpCert', `config.idpCert must be at most ${MAX_CERT_LENGTH} characters`, hint);
  }
  const pem = text.startsWith('-----BEGIN CERTIFICATE-----')
    ? text
    : /^[A-Za-z0-9+/=\s]+$/.test(text)
      ? `-----BEGIN CERTIFICATE-----\n${text.replace(/\s+/g, '')}\n-----END CERTIFICATE-----`
      : null;
  try {
    if (pem === null) throw new Error('neither PEM nor base64');
    new X509Certificate(pem);
  } catch {
    throw invalidConfig('config.idpCert', 'config.idpCert is not an X.509 certificate', hint);
  }
  return text;
}

function foreignFields(input: ProviderConfigInput, fields: readonly string[]): string[] {
  return fields.filter((f) => (input as Record<string, unknown>)[f] !== undefined);
}

/** Trimmed, non-empty text of at most `max` characters; a 400 naming the field otherwise. */
function requiredText(value: string, field: string, max: number, hint: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw invalidConfig(field, `${field} must not be empty`, hint);
  if (trimmed.length > max) throw invalidConfig(field, `${field} must be at most ${max} characters`, hint);
  return trimmed;
}

function normalizeTitle(title: string): string {
  return requiredText(title, 'title', 100, 'Give the provider a title people recognize on the login page, e.g. "Acme SSO".');
}

export interface ProviderView {
  id: string;
  type: ProviderType;
  name: string;
  title: string;
  organizationId: string;
  disabled: boolean;
  loginUrl: string;
  callbackUrl: string;
  entityId: string | null;
  metadataUrl: string | null;
  config:
    | (Omit<StoredOidcConfig, 'clientSecretSealed'> & { clientSecretSet: boolean })
    | (Omit<SamlConfig, 'emailAttribute'> & { emailAttribute: string | null });
  createdAt: string;
  updatedAt: string;
}

export class SsoProviderService {
  constructor(
    readonly deps: Deps,
    /** For what the caller holds on the projects SAML role mappings name. */
    private readonly auth: Pick<AuthService, 'accessOf'>,
  ) {}

  loginUrl(id: string): string {
    return `${this.deps.baseUrl()}/v1/auth/login/${id}`;
  }

  callbackUrl(id: string, type: ProviderType): string {
    return type === 'oidc'
      ? `${this.deps.baseUrl()}/v1/auth/callback/oidc/${id}`
      : `${this.deps.baseUrl()}/v1/auth/saml/acs/${id}`;
  }

  /** SAML: the service provider's metadata document, whose URL is also its entity id (services/identity/saml.ts). */
  metadataUrl(id: string): string {
    return `${this.deps.baseUrl()}/v1/auth/saml/metadata/${id}`;
  }

  view(row: IdentityProviderRow): ProviderView {
    const type = row.kind as ProviderType;
    let config: ProviderView['config'];
    if (type === 'oidc') {
      const { clientSecretSealed, ...rest } = JSON.parse(row.config) as StoredOidcConfig;
      config = { ...rest, clientSecretSet: clientSecretSealed !== null && clientSecretSealed !== undefined };
    } else {
      const saml = readSamlConfig(row);
      config = { ...saml, emailAttribute: saml.emailAttribute ?? null };
    }
    return {
      id: row.id,
      type,
      name: row.id,
      title: row.title,
      organizationId: row.organization_id,
      disabled: row.disabled !== 0,
      loginUrl: this.loginUrl(row.id),
      callbackUrl: this.callbackUrl(row.id, type),
      entityId: type === 'saml' ? this.metadataUrl(row.id) : null,
      metadataUrl: type === 'saml' ? this.metadataUrl(row.id) : null,
      config,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** The e-mail domains the operator approved for the organization's providers (identity/sso-accounts.ts). */
  domains(organizationId: string): Promise<DomainView[]> {
    return listDomains(this.deps.db, organizationId);
  }

  async list(organizationId: string): Promise<ProviderView[]> {
    return (await identityProvidersOf(this.deps.db, organizationId)).map((row) => this.view(row));
  }

  async get(organizationId: string, providerId: string): Promise<ProviderView> {
    return this.view(await this.find(this.deps.db, organizationId, providerId));
  }

  /**
   * `GET /auth/organizations/by-slug/{slug}/providers`: what a login chooser (`gatehouse login
   * --sso <slug>`) needs, disabled ones included and marked. An unknown slug is a 404.
   */
  async bySlug(slug: string) {
    const org = await findOrganizationBySlug(this.deps.db, slug);
    if (!org) {
      throw problems.notFound(`Organization not found: ${slug}`, {
        resourceType: 'organization',
        slug,
        hint: 'Check the organization’s slug (its administrators see it in GET /organizations/{id}); organizations without a slug have no login page.',
      });
    }
    return (await identityProvidersOf(this.deps.db, org.id)).map((row) => ({
      id: row.id,
      name: row.id,
      title: row.title,
      type: row.kind as ProviderType,
      organizationId: row.organization_id,
      loginUrl: this.loginUrl(row.id),
      callbackUrl: this.callbackUrl(row.id, row.kind as ProviderType),
      disabled: row.disabled !== 0,
    }));
  }

  async create(actor: Actor, organizationId: string, input: ProviderInput): Promise<ProviderView> {
    const title = normalizeTitle(input.title);
    const id = `${input.type}-${randomId(16)}`;
    const at = this.deps.now();
    await checkOutboundUrls(this.deps, input);
    const granters = await this.grantersFor(actor, input);
    return inTransaction(this.deps, async (trx) => {
      await this.organization(trx, organizationId);
      const existing = await identityProvidersOf(trx, organizationId);
      if (existing.length >= MAX_PROVIDERS_PER_ORGANIZATION) {
        throw problems.conflict(`Organization ${organizationId} already has ${existing.length} identity providers`, {
          code: 'provider_limit_reached',
          limit: MAX_PROVIDERS_PER_ORGANIZATION,
          hint: `An organization may have at most ${MAX_PROVIDERS_PER_ORGANIZATION} identity providers: delete one it no longer uses (DELETE /organizations/${organizationId}/providers/{providerId}).`,
        });
      }
      const config = await this.checkConfig(trx, granters, organizationId, id, input, null);
      const row: IdentityProviderRow = {
        id,
        organization_id: organizationId,
        kind: input.type,
        name: id,
        title,
        config: JSON.stringify(config),
        disabled: input.disabled ? 1 : 0,
        created_at: iso(at),
        updated_at: iso(at),
      };
      await insertIdentityProvider(trx, row);
      const view = this.view(row);
      await audit(trx, actor, at, {
        action: 'sso.provider.create',
        resource: { type: 'organization', id: organizationId },
        target: { type: 'identityProvider', id },
        after: auditView(view),
      });
      return view;
    });
  }

  /** Full replacement (PUT), except the write-only client secret: left out, it is kept. */
  async update(actor: Actor, organizationId: string, providerId: string, input: ProviderInput): Promise<ProviderView> {
    const title = normalizeTitle(input.title);
    const at = this.deps.now();
    await checkOutboundUrls(this.deps, input);
    const granters = await this.grantersFor(actor, input);
    return inTransaction(this.deps, async (trx) => {
      const current = await this.find(trx, organizationId, providerId);
      if (current.kind !== input.type) {
        throw new Problem(400, `Provider ${providerId} is of type ${current.kind}, not ${input.type}`, {
          code: 'invalid_input',
          field: 'type',
          hint: `A provider keeps its type. Send "type": "${current.kind}", or create a new ${input.type} provider with POST /organizations/${organizationId}/providers.`,
        });
      }
      const config = await this.checkConfig(trx, granters, organizationId, providerId, input, current);
      const row: IdentityProviderRow = {
        ...current,
        title,
        config: JSON.stringify(config),
        disabled: input.disabled ? 1 : 0,
        updated_at: iso(at),
      };
      await updateIdentityProvider(trx, row);
      const view = this.view(row);
      await audit(trx, actor, at, {
        action: 'sso.provider.update',
        resource: { type: 'organization', id: organizationId },
        target: { type: 'identityProvider', id: providerId },
        before: auditView(this.view(current)),
        after: {
          ...auditView(view),
          ...(input.type === 'oidc' && input.config.clientSecret !== undefined ? { clientSecretChanged: true } : {}),
        },
      });
      return view;
    });
  }

  /**
   * Deletes a provider: it can no longer start or finish a login. Tokens its logins issued live
   * out their (short, SSO) lifetime, as a password change does not end other sessions either;
   * revoke them per user if the provider was compromised.
   */
  async delete(actor: Actor, organizationId: string, providerId: string): Promise<void> {
    const at = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      const current = await this.find(trx, organizationId, providerId);
      await deleteIdentityProvider(trx, providerId);
      await audit(trx, actor, at, {
        action: 'sso.provider.delete',
        resource: { type: 'organization', id: organizationId },
        target: { type: 'identityProvider', id: providerId },
        before: auditView(this.view(current)),
      });
    });
  }

  /**
   * What the caller holds on each project a SAML role mapping names, read before the write
   * transaction (the embedded database has one connection, which the transaction holds).
   */
  private async grantersFor(actor: Actor, input: ProviderInput): Promise<Map<string, Granter>> {
    const out = new Map<string, Granter>();
    if (input.type !== 'saml') return out;
    const projectIds = new Set((input.config.roleMappings ?? []).slice(0, MAX_ROLE_MAPPINGS).map((m) => m.projectId));
    for (const projectId of projectIds) {
      const access = await this.auth.accessOf(actor.principal, { type: 'project', id: projectId });
      if (access) out.set(projectId, access);
    }
    return out;
  }

  private async organization(db: Executor, organizationId: string) {
    const org = await findOrganization(db, organizationId);
    if (!org) {
      throw problems.notFound(`Organization not found: ${organizationId}`, {
        resourceType: 'organization',
        resourceId: organizationId,
      });
    }
    return org;
  }

  private async find(db: Executor, organizationId: string, providerId: string): Promise<IdentityProviderRow> {
    const row = PROVIDER_ID.test(providerId) ? await findIdentityProvider(db, providerId) : undefined;
    if (!row || row.organization_id !== organizationId) throw providerNotFound(organizationId, providerId);
    return row;
  }

  private async checkConfig(
    db: Executor,
    granters: ReadonlyMap<string, Granter>,
    organizationId: string,
    providerId: string,
    input: ProviderInput,
    current: IdentityProviderRow | null,
  ): Promise<StoredOidcConfig | SamlConfig> {
    const config = input.config;
    const foreign = foreignFields(config, input.type === 'oidc' ? SAML_FIELDS : OIDC_FIELDS);
    if (foreign.length > 0) {
      throw invalidConfig(
        `config.${foreign[0]}`,
        `config.${foreign[0]} does not apply to ${input.type} providers`,
        input.type === 'oidc'
          ? `An OIDC provider's config takes ${OIDC_FIELDS.join(', ')}.`
          : `A SAML provider's config takes ${SAML_FIELDS.join(', ')}.`,
      );
    }
    return input.type === 'oidc'
      ? this.checkOidc(providerId, config, current)
      : this.checkSaml(db, granters, organizationId, config, current);
  }

  private checkOidc(providerId: string, config: ProviderConfigInput, current: IdentityProviderRow | null): StoredOidcConfig {
    if (config.issuer === undefined) {
      throw invalidConfig(
        'config.issuer',
        'config.issuer is required',
        'Give the issuer URL, e.g. https://login.example.com/realms/acme.',
      );
    }
    if (config.clientId === undefined) {
      throw invalidConfig(
        'config.clientId',
        'config.clientId is required',
        'Give the client id Gatehouse is registered with at the provider.',
      );
    }
    const issuer = checkUrl(config.issuer, 'config.issuer', 'the issuer', { query: false });
    const clientId = requiredText(
      config.clientId,
      'config.clientId',
      255,
      'Give the client id Gatehouse is registered with at the provider.',
    );
    const scopes = config.scopes ?? DEFAULT_OIDC_SCOPES;
    if (!scopes.includes('openid')) {
      throw invalidConfig(
        'config.scopes',
        'config.scopes must include openid',
        `OpenID Connect logins need the openid scope; leave scopes out for the default (${DEFAULT_OIDC_SCOPES.join(' ')}).`,
      );
    }
    let clientSecretSealed: string | null;
    if (config.clientSecret === undefined) {
      clientSecretSealed = current ? ((JSON.parse(current.config) as StoredOidcConfig).clientSecretSealed ?? null) : null;
    } else if (config.clientSecret === null) {
      clientSecretSealed = null;
    } else {
      if (config.clientSecret.length > MAX_SECRET_LENGTH) {
        throw invalidConfig(
          'config.clientSecret',
          'config.clientSecret is too long',
          'Paste the client secret the provider shows.',
        );
      }
      try {
        clientSecretSealed = sealSecret(config.clientSecret, this.deps.keys, secretContext(providerId));
      } catch (error) {
        if (error instanceof SecretBoxError) throw new Error(`cannot seal the client secret: ${error.message}`);
        throw error;
      }
    }
    return {
      issuer,
      clientId,
      clientSecretSealed,
      scopes: [...new Set(scopes)],
      emailClaim: config.emailClaim ?? DEFAULT_EMAIL_CLAIM,
      nameClaim: config.nameClaim ?? DEFAULT_NAME_CLAIM,
    };
  }

  private async checkSaml(
    db: Executor,
    granters: ReadonlyMap<string, Granter>,
    organizationId: string,
    config: ProviderConfigInput,
    current: IdentityProviderRow | null,
  ): Promise<SamlConfig> {
    for (const field of ['entryPoint', 'idpIssuer', 'idpCert'] as const) {
      if (config[field] === undefined) {
        throw invalidConfig(
          `config.${field}`,
          `config.${field} is required`,
          'A SAML provider needs the identity provider’s SSO URL (entryPoint), entity id (idpIssuer) and signing certificate (idpCert), all in its metadata.',
        );
      }
    }
    const entryPoint = checkUrl(config.entryPoint as string, 'config.entryPoint', 'the identity provider’s SSO URL', {
      query: true,
    });
    const idpIssuer = requiredText(
      config.idpIssuer as string,
      'config.idpIssuer',
      1000,
      'Give the identity provider’s entity id, as its metadata shows it (entityID).',
    );
    const idpCert = checkCertificate(config.idpCert as string);
    const roleMappings = config.roleMappings ?? [];
    if (roleMappings.length > MAX_ROLE_MAPPINGS) {
      throw invalidConfig(
        'config.roleMappings',
        `config.roleMappings has ${roleMappings.length} entries; at most ${MAX_ROLE_MAPPINGS}`,
        'Map groups to roles more coarsely.',
      );
    }
    const previous = new Set(
      current ? readSamlConfig(current).roleMappings.map((m) => mappingKey(m.projectId, m.roleNames)) : [],
    );
    const checked: RoleMapping[] = [];
    // One check per (project, roles) pair, however many groups share it.
    const seen = new Set<string>();
    for (const [index, mapping] of roleMappings.entries()) {
      const field = `config.roleMappings[${index}]`;
      const group = requiredText(mapping.group, `${field}.group`, 500, 'Name a group as the groups attribute lists it.');
      const roleNames = [...new Set(mapping.roleNames)];
      if (roleNames.length === 0) {
        throw invalidConfig(
          `${field}.roleNames`,
          `${field}.roleNames must name at least one role`,
          'Name the project roles members of the group get.',
        );
      }
      const key = mappingKey(mapping.projectId, roleNames);
      if (!seen.has(key)) {
        seen.add(key);
        const project = await findProject(db, mapping.projectId);
        if (!project || project.organization_id !== organizationId) {
          throw invalidConfig(
            `${field}.projectId`,
            `Project ${mapping.projectId} is not a project of organization ${organizationId}`,
            `Map groups only to projects of this organization: GET /organizations/${organizationId} lists them.`,
          );
        }
        // Unchanged mappings were checked when they were written; new ones grant roles at every
        // login, so the caller must be able to grant those roles now.
        if (!previous.has(key)) {
          const resource = { type: 'project' as const, id: project.id };
          await checkGrantable(db, resource, roleNames, 'user', granters.get(project.id) ?? NO_ACCESS);
        }
      }
      checked.push({ group, projectId: mapping.projectId, roleNames });
    }
    return {
      entryPoint,
      idpIssuer,
      idpCert,
      groupsAttribute: config.groupsAttribute ?? DEFAULT_GROUPS_ATTRIBUTE,
      ...(config.emailAttribute !== undefined ? { emailAttribute: config.emailAttribute } : {}),
      nameAttribute: config.nameAttribute ?? DEFAULT_NAME_ATTRIBUTE,
      roleMappings: checked,
    };
  }
}

const NO_ACCESS: Granter = { roleNames: [], grants: new Set<string>() };

function mappingKey(projectId: string, roleNames: readonly string[]): string {
  return `${projectId}\0${[...roleNames].sort().join('\0')}`;
}

/** What the audit log keeps of a provider: its view without the certificate body. */
function auditView(view: ProviderView) {
  const { idpCert: _cert, ...config } = view.config as Record<string, unknown>;
  return { ...view, config };
}
