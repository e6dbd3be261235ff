/**
 * An organization's own identity providers (OpenID Connect, SAML): what its people log in with.
 * Logins through them get the organization's `ssoTokenLifetimeDays` (routes/organization-policies.ts).
 */
import { Type } from 'typebox';
import { PROVIDER_ID_PATTERN } from '../../services/login/sso-config.js';
import { defineRoute } from '../route.js';
import { Id, Nullable, StringEnum, Timestamp } from '../schemas.js';

const OrganizationParams = Type.Object({ organizationId: Id('Organization id (`o…`)') }, { additionalProperties: false });
const ProviderParams = Type.Object(
  {
    organizationId: Id('Organization id (`o…`)'),
    providerId: Type.String({ pattern: PROVIDER_ID_PATTERN, maxLength: 45, description: 'Provider id (`oidc-…`, `saml-…`)' }),
  },
  { additionalProperties: false },
);

const Url = (description: string) => Type.String({ minLength: 1, maxLength: 2000, description });
const AttributeName = (description: string) => Type.String({ minLength: 1, maxLength: 500, description });
const ClaimName = (description: string) =>
  Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:/-]+$', description });

const RoleMapping = Type.Object(
  {
    group: Type.String({ minLength: 1, maxLength: 500, description: 'A value of the groups attribute' }),
    projectId: Id('A project of this organization'),
    roleNames: Type.Array(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' }), {
      minItems: 1,
      maxItems: 20,
      description: 'Roles of that project that members of the group get at login',
    }),
  },
  { additionalProperties: false },
);

const ConfigInput = Type.Object(
  {
    // OpenID Connect
    issuer: Type.Optional(
      Url(
        'OIDC: the issuer; `<issuer>/.well-known/openid-configuration` must answer. https at a public address, unless the operator allowed the host (GATEHOUSE_IDP_ALLOWED_HOSTS); 400 `idp_url_not_allowed` otherwise.',
      ),
    ),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'OIDC: the client id' })),
    clientSecret: Type.Optional(
      Nullable(
        Type.String({
          minLength: 1,
          maxLength: 4096,
          description:
            'OIDC: the client secret. Write-only: stored encrypted, never returned. On PUT, leave it out to keep the stored one, or send null to remove it (a public client).',
        }),
      ),
    ),
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), {
        minItems: 1,
        maxItems: 20,
        description: 'OIDC: scopes to ask for; must include `openid` (default `openid email profile`)',
      }),
    ),
    emailClaim: Type.Optional(ClaimName('OIDC: the claim with the e-mail address (default `email`)')),
    nameClaim: Type.Optional(ClaimName('OIDC: the claim with the display name (default `name`)')),
    // SAML
    entryPoint: Type.Optional(
      Url(
        'SAML: the identity provider’s single sign-on URL (HTTP-Redirect binding); https at a public address, like an OIDC issuer',
      ),
    ),
    idpIssuer: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1000, description: 'SAML: the identity provider’s entity id' }),
    ),
    idpCert: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 20 * 1024,
        description: 'SAML: the identity provider’s signing certificate, PEM or base64 DER',
      }),
    ),
    groupsAttribute: Type.Optional(AttributeName('SAML: the attribute listing the person’s groups (default `groups`)')),
    emailAttribute: Type.Optional(AttributeName('SAML: the attribute with the e-mail address (default: the NameID)')),
    nameAttribute: Type.Optional(AttributeName('SAML: the attribute with the display name (default `displayName`)')),
    roleMappings: Type.Optional(
      Type.Array(RoleMapping, {
        maxItems: 200,
        description: 'SAML: project roles given at login to members of a group (roles are added, never removed)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'The fields of the provider’s type: OIDC `issuer`, `clientId`, …; SAML `entryPoint`, `idpIssuer`, `idpCert`, …',
  },
);

export const ProviderInput = Type.Object(
  {
    type: StringEnum(['oidc', 'saml'] as const, { description: 'OpenID Connect or SAML 2.0; a provider keeps its type' }),
    title: Type.String({ minLength: 1, maxLength: 100, description: 'What login pages call it, e.g. "Acme SSO"' }),
    disabled: Type.Optional(Type.Boolean({ description: 'A disabled provider starts and finishes no login (default false)' })),
    config: ConfigInput,
  },
  { additionalProperties: false },
);

const OidcConfigView = Type.Object({
  issuer: Type.String(),
  clientId: Type.String(),
  clientSecretSet: Type.Boolean({ description: 'Whether a client secret is stored (it is never returned)' }),
  scopes: Type.Array(Type.String()),
  emailClaim: Type.String(),
  nameClaim: Type.String(),
});

const SamlConfigView = Type.Object({
  entryPoint: Type.String(),
  idpIssuer: Type.String(),
  idpCert: Type.String(),
  groupsAttribute: Type.String(),
  emailAttribute: Nullable(Type.String()),
  nameAttribute: Type.String(),
  roleMappings: Type.Array(Type.Object({ group: Type.String(), projectId: Type.String(), roleNames: Type.Array(Type.String()) })),
});

export const SsoProvider = Type.Object({
  id: Type.String(),
  type: StringEnum(['oidc', 'saml'] as const),
  name: Type.String({ description: 'The provider’s name in login URLs: its id' }),
  title: Type.String(),
  organizationId: Type.String(),
  disabled: Type.Boolean(),
  loginUrl: Type.String({ description: 'Where a login starts (`?origin=…&type=token`)' }),
  callbackUrl: Type.String({
    description: 'Register this at the identity provider: the OIDC redirect URI, or the SAML assertion consumer service',
  }),
  entityId: Nullable(
    Type.String({ description: 'SAML: the service provider’s entity id (the audience assertions must name); null for OIDC' }),
  ),
  metadataUrl: Nullable(
    Type.String({ description: 'SAML: the service provider’s metadata (XML) to give the identity provider; null for OIDC' }),
  ),
  config: Type.Union([OidcConfigView, SamlConfigView]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const path = '/organizations/:organizationId/providers';
const tags = ['Organizations: SSO'];
const writeNote = 'identity providers decide who can log in: only people configure them';

const ApprovedDomain = Type.Object({
  domain: Type.String({ description: 'The part after the @ (lowercase; internationalized names in punycode)' }),
  organizationId: Type.String(),
  addedAt: Timestamp,
});

export const ssoProviderRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:organizationId/domains',
    summary: 'The e-mail domains the operator approved for an organization’s single sign-on',
    description:
      'An organization’s providers log in only addresses of these domains, and only accounts that belong to the organization alone; with none, they log nobody in (403 `sso_not_approved`). Only the server’s operator approves domains (`gatehouse orgs domains add`), since any administrator can make a provider assert any address.',
    tags,
    policy: { accepts: ['user', 'robot'], resource: 'organization', permission: 'sanity.organization.sso.read' },
    params: OrganizationParams,
    response: Type.Array(ApprovedDomain),
    handler: (ctx) => ctx.services.ssoProviders.domains(ctx.params.organizationId),
  }),
  defineRoute({
    method: 'GET',
    path,
    summary: 'List an organization’s identity providers',
    tags,
    policy: { accepts: ['user', 'robot'], resource: 'organization', permission: 'sanity.organization.sso.read' },
    params: OrganizationParams,
    response: Type.Array(SsoProvider),
    handler: (ctx) => ctx.services.ssoProviders.list(ctx.params.organizationId),
  }),
  defineRoute({
    method: 'POST',
    path,
    summary: 'Add an identity provider (OpenID Connect or SAML) to an organization',
    description:
      'The answer names the provider (`oidc-…` or `saml-…`), where its logins start (`loginUrl`) and the `callbackUrl` to register at the identity provider. An OIDC client secret is stored encrypted with a key derived from the server secret, and never returned. SAML role mappings grant project roles at login: each project must belong to the organization, and you must be able to grant each role yourself.',
    tags,
    policy: {
      accepts: ['user'],
      resource: 'organization',
      permission: 'sanity.organization.sso.update',
      managesAccess: true,
      note: writeNote,
    },
    params: OrganizationParams,
    body: ProviderInput,
    status: 201,
    response: SsoProvider,
    handler: (ctx) => ctx.services.ssoProviders.create(ctx.actor, ctx.params.organizationId, ctx.body),
  }),
  defineRoute({
    method: 'GET',
    path: `${path}/:providerId`,
    summary: 'Get an identity provider of an organization',
    tags,
    policy: { accepts: ['user', 'robot'], resource: 'organization', permission: 'sanity.organization.sso.read' },
    params: ProviderParams,
    response: SsoProvider,
    handler: (ctx) => ctx.services.ssoProviders.get(ctx.params.organizationId, ctx.params.providerId),
  }),
  defineRoute({
    method: 'PUT',
    path: `${path}/:providerId`,
    summary: 'Replace an identity provider’s title, state and configuration',
    description:
      'A full replacement, except the write-only `config.clientSecret`: left out, the stored secret is kept; null removes it. The type cannot change.',
    tags,
    policy: {
      accepts: ['user'],
      resource: 'organization',
      permission: 'sanity.organization.sso.update',
      managesAccess: true,
      note: writeNote,
    },
    params: ProviderParams,
    body: ProviderInput,
    response: SsoProvider,
    handler: (ctx) => ctx.services.ssoProviders.update(ctx.actor, ctx.params.organizationId, ctx.params.providerId, ctx.body),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${path}/:providerId`,
    summary: 'Delete an identity provider',
    description:
      'Its logins stop at once, including ones in progress. Personal tokens it issued live out their lifetime; revoke them per person if the provider was compromised.',
    tags,
    policy: {
      accepts: ['user'],
      resource: 'organization',
      permission: 'sanity.organization.sso.update',
      managesAccess: true,
      note: writeNote,
    },
    params: ProviderParams,
    status: 204,
    response: Type.Null(),
    handler: (ctx) => ctx.services.ssoProviders.delete(ctx.actor, ctx.params.organizationId, ctx.params.providerId),
  }),
];
