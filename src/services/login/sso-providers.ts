/**
 * An organization's own identity providers (OpenID Connect and SAML): list, get, create, replace,
 * delete. Their logins live in services/login/{oidc,saml}.ts; what is stored of a provider and how
 * its secret is sealed is services/login/sso-config.ts; how its input is checked,
 * services/login/sso-validation.ts.
 */
import { Problem, problems } from '../../model/errors.js';
import { randomId } from '../../model/ids.js';
import {
  deleteIdentityProvider,
  findIdentityProvider,
  identityProvidersOf,
  insertIdentityProvider,
  updateIdentityProvider,
} from '../../store/identity.js';
import { findOrganization, findOrganizationBySlug } from '../../store/organizations.js';
import type { Executor, IdentityProviderRow } from '../../store/schema.js';
import { audit } from '../audit.js';
import type { AuthService } from '../auth.js';
import { type Actor, type Deps, inTransaction, iso } from '../context.js';
import type { Granter } from '../invariants.js';
import { type DomainView, listDomains } from './sso-accounts.js';
import {
  MAX_PROVIDERS_PER_ORGANIZATION,
  MAX_ROLE_MAPPINGS,
  PROVIDER_ID,
  type ProviderInput,
  type ProviderType,
  readSamlConfig,
  type SamlConfig,
  type StoredOidcConfig,
} from './sso-config.js';
import { checkOutboundUrls, checkProviderConfig, normalizeTitle } from './sso-validation.js';

export function providerNotFound(organizationId: string, providerId: string): Problem {
  return problems.notFound(`Identity provider not found: ${providerId}`, {
    resourceType: 'identityProvider',
    resourceId: providerId,
    hint: `List the organization's providers with GET /organizations/${organizationId}/providers.`,
  });
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

  /** SAML: the service provider's metadata document, whose URL is also its entity id (services/login/saml.ts). */
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

  /** The e-mail domains the operator approved for the organization's providers (sso-accounts.ts). */
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
      const config = await checkProviderConfig(this.deps.keys, trx, granters, organizationId, id, input, null);
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
      const config = await checkProviderConfig(this.deps.keys, trx, granters, organizationId, providerId, input, current);
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
}

/** What the audit log keeps of a provider: its view without the certificate body. */
function auditView(view: ProviderView) {
  const { idpCert: _cert, ...config } = view.config as Record<string, unknown>;
  return { ...view, config };
}
