/**
 * The checks of an organization identity provider's input (services/login/sso-providers.ts, create
 * and replace): URLs, certificates, required fields, and SAML role mappings, which grant project
 * roles at login, so writing one is granting those roles: each project must belong to the
 * organization, each role must exist there and apply to people, and the caller must be able to
 * grant it themselves (the no-escalation rule of services/invariants.ts).
 */
import { X509Certificate } from 'node:crypto';
import { Problem } from '../../model/errors.js';
import { MAX_SECRET_LENGTH, SecretBoxError } from '../../model/secret-box.js';
import type { ServerKey } from '../../model/tokens.js';
import { findProject } from '../../store/projects.js';
import type { Executor, IdentityProviderRow } from '../../store/schema.js';
import type { Deps } from '../context.js';
import { checkGrantable, type Granter } from '../invariants.js';
import { outboundPolicyOf } from './outbound.js';
import {
  DEFAULT_EMAIL_CLAIM,
  DEFAULT_GROUPS_ATTRIBUTE,
  DEFAULT_NAME_ATTRIBUTE,
  DEFAULT_NAME_CLAIM,
  DEFAULT_OIDC_SCOPES,
  MAX_CERT_LENGTH,
  MAX_ROLE_MAPPINGS,
  OIDC_FIELDS,
  type ProviderConfigInput,
  type ProviderInput,
  type RoleMapping,
  readSamlConfig,
  SAML_FIELDS,
  type SamlConfig,
  type StoredOidcConfig,
  sealClientSecret,
} from './sso-config.js';

function invalidConfig(field: string, message: string, hint: string): Problem {
  return new Problem(400, message, { code: 'invalid_input', field, hint });
}

/**
 * An absolute http(s) URL without credentials or fragment. Whether its scheme and host may be used
 * is the outbound policy's to say (services/login/outbound.ts), checked before the write.
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
export async function checkOutboundUrls(deps: Deps, input: ProviderInput): Promise<void> {
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

export function normalizeTitle(title: string): string {
  return requiredText(title, 'title', 100, 'Give the provider a title people recognize on the login page, e.g. "Acme SSO".');
}

export async function checkProviderConfig(
  keys: readonly ServerKey[],
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
    ? checkOidc(keys, providerId, config, current)
    : checkSaml(db, granters, organizationId, config, current);
}

function checkOidc(
  keys: readonly ServerKey[],
  providerId: string,
  config: ProviderConfigInput,
  current: IdentityProviderRow | null,
): StoredOidcConfig {
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
      clientSecretSealed = sealClientSecret(config.clientSecret, keys, providerId);
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

async function checkSaml(
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
  const previous = new Set(current ? readSamlConfig(current).roleMappings.map((m) => mappingKey(m.projectId, m.roleNames)) : []);
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

const NO_ACCESS: Granter = { roleNames: [], grants: new Set<string>() };

function mappingKey(projectId: string, roleNames: readonly string[]): string {
  return `${projectId}\0${[...roleNames].sort().join('\0')}`;
}
