/**
 * What is stored of an organization's identity provider (`identity_providers.config`), and how
 * login code reads it: the checked input with its defaults filled in, in the same camelCase fields
 * the API takes, except that an OIDC client secret is kept only sealed with the server key
 * (`clientSecretSealed`, model/secret-box.ts, bound to the provider id). `readOidcConfig` and
 * `readSamlConfig` are how login code reads a row (services/login/oidc.ts, services/login/saml.ts).
 */
import { openSecret, sealSecret } from '../../model/secret-box.js';
import type { ServerKey } from '../../model/tokens.js';
import type { IdentityProviderRow } from '../../store/schema.js';

export type ProviderType = 'oidc' | 'saml';

/** Provider ids: `oidc-…` or `saml-…`, lowercase letters and digits after the dash. */
export const PROVIDER_ID_PATTERN = '^(oidc|saml)-[a-z0-9]{10,40}$';
export const PROVIDER_ID = new RegExp(PROVIDER_ID_PATTERN);

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

export const OIDC_FIELDS = ['issuer', 'clientId', 'clientSecret', 'scopes', 'emailClaim', 'nameClaim'] as const;
export const SAML_FIELDS = [
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

/** An OIDC client secret sealed for its provider's row, under the newest server key. */
export function sealClientSecret(secret: string, keys: readonly ServerKey[], providerId: string): string {
  return sealSecret(secret, keys, secretContext(providerId));
}
