/**
 * SAML 2.0 (@node-saml/node-saml), per organization: signed assertions, group → role mapping.
 *
 *   GET  /auth/login/saml-…          → an AuthnRequest (HTTP-Redirect binding), RelayState = the flow id
 *   GET  /auth/saml/metadata/saml-…  → the service provider's metadata, for the identity provider
 *   POST /auth/saml/acs/saml-…       → the identity provider's signed answer (HTTP-POST binding)
 *
 * Only SP-initiated logins are accepted: every answer must be `InResponseTo` a request this server
 * sent for that flow, and the flow is used up by the first answer that passes. The assertion must
 * be signed with the configured certificate (a signed response around an unsigned assertion is
 * not enough), come from the configured issuer, name this provider's entity id as its audience and
 * its assertion consumer service as its recipient, and be inside its validity window (30 seconds
 * of clock skew).
 *
 * Role mapping only ever adds: a person in a mapped group becomes a member of the project with the
 * mapped roles, or gets the mapped roles they lack. A login never removes a role or a membership
 * (leaving a group at the identity provider does not demote anybody; an administrator does that).
 */
import { randomBytes } from 'node:crypto';
import type { Profile, SAML, SamlConfig } from '@node-saml/node-saml';
import { Problem, problems } from '../../model/errors.js';
import type { ResourceRef } from '../../model/policy.js';
import { isUniqueViolation } from '../../store/db.js';
import { findIdentityProvider } from '../../store/identity.js';
import { findMembership, rolesOf, setMembershipRoles } from '../../store/memberships.js';
import { findOrganization } from '../../store/organizations.js';
import { findProject } from '../../store/projects.js';
import type { IdentityProviderRow, LoginFlowRow } from '../../store/schema.js';
import { audit } from '../audit.js';
import { type Actor, type Deps, inTransaction } from '../context.js';
import { addMember } from '../memberships.js';
import { resolveRoles } from '../role-catalog.js';
import { normalizeEmail } from '../validation.js';
import { disabledAccount, FLOW_TTL_MS, type LoginService } from './flow.js';
import { OutboundRefused, outboundPolicyOf } from './outbound.js';
import { accountForIdentity, checkSsoLogin, ensureSsoApproved } from './sso-accounts.js';
import type { LoginRequest, LoginStart } from './types.js';

/** node-saml (and its XML stack), loaded on the first SAML login: most servers never need it. */
let nodeSamlModule: Promise<typeof import('@node-saml/node-saml')> | undefined;
function nodeSaml(): Promise<typeof import('@node-saml/node-saml')> {
  nodeSamlModule ??= import('@node-saml/node-saml');
  return nodeSamlModule;
}

/** How far the identity provider's clock may be from ours. */
export const SAML_CLOCK_SKEW_MS = 30_000;

/** One rule of `roleMappings`: people in `group` get `roleNames` on project `projectId`. */
export interface SamlRoleMapping {
  group: string;
  projectId: string;
  roleNames: string[];
}

/** The `config` of a `saml` row of `identity_providers`. */
export interface SamlProviderConfig {
  /** The identity provider's single sign-on URL (HTTP-Redirect binding). */
  entryPoint: string;
  /** The identity provider's entity id: the `Issuer` its assertions must carry. */
  idpIssuer: string;
  /** The identity provider's signing certificate (PEM, or its base64 body). */
  idpCert: string;
  /** Attribute with the person's groups (default `groups`). */
  groupsAttribute?: string;
  /** Attribute with the person's e-mail address (default: the NameID, when it is one). */
  emailAttribute?: string;
  /** Attribute with the person's name (default `displayName`). */
  nameAttribute?: string;
  roleMappings?: SamlRoleMapping[];
}

/** What an accepted answer led to: where the browser goes, and what the role mapping did. */
export interface SamlLoginResult {
  redirect: string;
  userId: string;
  /** Projects where the login added a membership or roles. */
  changes: RoleChange[];
  /** Mapping rules that matched the person's groups but could not be applied, and why (for the log). */
  skipped: Array<{ group: string; projectId: string; reason: string }>;
}

export interface RoleChange {
  projectId: string;
  /** True when the login made the person a member of the project. */
  joined: boolean;
  addedRoles: string[];
}

/**
 * A refused SAML answer: the caller sees a message that says what to do and nothing about why the
 * answer failed (`detail`, for the log only: which check, what was expected).
 */
export class SamlRejection extends Problem {
  constructor(
    status: number,
    message: string,
    reason: { code: string; hint: string },
    readonly detail: string,
  ) {
    super(status, message, reason);
  }
}

function invalidResponse(detail: string): SamlRejection {
  return new SamlRejection(
    400,
    'The identity provider’s answer could not be accepted',
    {
      code: 'saml_response_invalid',
      hint: 'Start the login again. If it keeps failing, ask an administrator of your organization to check the SAML provider’s configuration (certificate, issuer, entity id); the server log says which check failed.',
    },
    detail,
  );
}

function providerNotFound(id: string): Problem {
  return problems.notFound(`Login provider not found: ${id.slice(0, 80)}`, {
    code: 'provider_not_found',
    hint: 'List an organization’s providers with GET /auth/organizations/by-slug/{slug}/providers.',
  });
}

export class SamlLogin {
  constructor(
    readonly deps: Deps,
    readonly login: LoginService,
  ) {}

  /** The SP entity id: also the audience assertions must name. */
  entityId(providerId: string): string {
    return `${this.deps.baseUrl()}/v1/auth/saml/metadata/${providerId}`;
  }

  /** The assertion consumer service URL: where the identity provider posts its answer. */
  acsUrl(providerId: string): string {
    return `${this.deps.baseUrl()}/v1/auth/saml/acs/${providerId}`;
  }

  /** `GET /auth/login/{providerId}` for an organization's SAML provider: the AuthnRequest redirect. */
  async start(row: IdentityProviderRow, request: LoginRequest): Promise<LoginStart> {
    const config = parseConfig(row);
    await ensureSsoApproved(this.deps.db, row.organization_id);
    // Browsers are sent there: it must still be allowed (the operator may have withdrawn a host).
    try {
      outboundPolicyOf(this.deps.identity).checkUrl(new URL(config.entryPoint));
    } catch (error) {
      if (!(error instanceof OutboundRefused)) throw error;
      throw new SamlRejection(
        502,
        `${row.title} is at an address this server does not send people to`,
        {
          code: 'provider_address_refused',
          hint: 'Identity providers must be reached over https at a public address. Ask the organization’s administrators to check the provider; the server’s operator can allow a private host in GATEHOUSE_IDP_ALLOWED_HOSTS.',
        },
        `entry point refused: ${error.message}`,
      );
    }
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const flowId = await this.login.startFlow({
      provider: row.id,
      origin: request.origin,
      type: request.type,
      label: request.label,
      requestOrigin: request.requestOrigin,
      data: { requestId },
    });
    const saml = await this.serviceProvider(row, config, { requestId });
    return { redirect: await saml.getAuthorizeUrlAsync(flowId, undefined, {}) };
  }

  /**
   * `GET /auth/saml/metadata/{providerId}`: what the identity provider needs to know about us. Served
   * for disabled providers too (it holds nothing secret), so an identity provider can be set up
   * before the provider is switched on.
   */
  async metadata(providerId: string): Promise<string> {
    const row = await findIdentityProvider(this.deps.db, providerId);
    if (row?.kind !== 'saml') throw providerNotFound(providerId);
    return (await nodeSaml()).generateServiceProviderMetadata({
      issuer: this.entityId(row.id),
      callbackUrl: this.acsUrl(row.id),
      identifierFormat: null,
      wantAssertionsSigned: true,
      // A stable document: the same metadata every time it is fetched.
      generateUniqueId: () => `_${row.id}`,
    });
  }

  /**
   * `POST /auth/saml/acs/{providerId}`: checks the identity provider's answer, finds or creates the
   * person, applies the role mapping, and sends the browser back to the login's origin with a sid.
   */
  async acs(
    providerId: string,
    body: { SAMLResponse: string; RelayState?: string | undefined },
    actor: Actor,
  ): Promise<SamlLoginResult> {
    const row = await findIdentityProvider(this.deps.db, providerId);
    if (row?.kind !== 'saml' || row.disabled !== 0) throw providerNotFound(providerId);
    const config = parseConfig(row);
    if (!body.RelayState) {
      throw new SamlRejection(
        400,
        'Logins started at the identity provider are not supported',
        {
          code: 'saml_unsolicited_response',
          hint: 'Start the login from Gatehouse (`gatehouse login --sso <organization slug>`, or the application you use), not from the identity provider’s portal.',
        },
        'SAMLResponse without RelayState (IdP-initiated)',
      );
    }
    // Read the flow without using it up: an answer that fails the checks leaves it for the real one.
    const flow = await this.login.peekFlow(body.RelayState, row.id);
    const requestId = requestIdOf(flow);
    const profile = await this.validate(row, config, body, flow, requestId);
    const identity = identityOf(config, profile);
    // An organization's provider, at every login: see services/login/sso-accounts.ts.
    await checkSsoLogin(
      this.deps.db,
      {
        organizationId: row.organization_id,
        providerId: row.id,
        email: identity.email,
        user: await accountForIdentity(this.deps.db, row.id, identity.subject, identity.email),
        actor,
        now: this.deps.now(),
      },
      (status, message, reason, detail) => new SamlRejection(status, message, reason, detail),
    );

    // The answer is good: the flow is used now, exactly once.
    const taken = await this.login.takeFlow(body.RelayState, row.id);
    const user = await this.login.userForIdentity({
      providerId: row.id,
      subject: identity.subject,
      email: identity.email,
      displayName: identity.displayName,
      // Sanity calls SAML users' provider `saml-<providerId>`; our provider ids already read `saml-…`.
      provider: row.id,
    });
    if (user.disabled_at !== null) throw disabledAccount();

    const { changes, skipped } = await this.applyRoleMappings(row, config, user.id, identity.groups, actor);
    const organization = await findOrganization(this.deps.db, row.organization_id);
    const redirect = await this.login.finish({
      flow: taken,
      userId: user.id,
      source: `saml:${row.id}`,
      organizationId: row.organization_id,
      lifetimeDays: organization?.sso_token_lifetime_days ?? this.deps.identity.ssoTokenLifetimeDays,
    });
    return { redirect, userId: user.id, changes, skipped };
  }

  /** The checks of the answer: signature, issuer, audience, recipient, InResponseTo, validity window. */
  private async validate(
    row: IdentityProviderRow,
    config: SamlProviderConfig,
    body: { SAMLResponse: string; RelayState?: string | undefined },
    flow: LoginFlowRow,
    requestId: string,
  ): Promise<Profile> {
    const saml = await this.serviceProvider(row, config, { requestId, createdAt: flow.created_at });
    let profile: Profile | null;
    try {
      ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: body.SAMLResponse }));
    } catch (error) {
      throw invalidResponse(error instanceof Error ? error.message.slice(0, 500) : 'unreadable SAMLResponse');
    }
    if (!profile) throw invalidResponse('no assertion (a logout response?)');
    if (profile.issuer !== config.idpIssuer) {
      throw invalidResponse(`assertion issuer ${String(profile.issuer).slice(0, 200)} is not the configured ${config.idpIssuer}`);
    }
    // node-saml leaves the bearer confirmation's Recipient to us (SAML profiles §4.1.4.2).
    const recipients = subjectConfirmationRecipients(profile);
    if (recipients.length === 0 || recipients.some((r) => r !== this.acsUrl(row.id))) {
      throw invalidResponse(
        `subject confirmation recipient ${recipients.join(', ').slice(0, 300) || '(none)'} is not ${this.acsUrl(row.id)}`,
      );
    }
    return profile;
  }

  /**
   * Adds the memberships and roles the person's groups map to, in one transaction with one audit
   * event (`sso.roles.apply`) when anything changed. Rules naming a project outside the provider's
   * organization, or a role the project does not have (or that people cannot hold), are skipped.
   */
  private async applyRoleMappings(
    row: IdentityProviderRow,
    config: SamlProviderConfig,
    userId: string,
    groups: ReadonlySet<string>,
    actor: Actor,
  ): Promise<{ changes: RoleChange[]; skipped: SamlLoginResult['skipped'] }> {
    const wanted = new Map<string, { groups: string[]; roles: string[] }>();
    for (const rule of config.roleMappings ?? []) {
      if (!groups.has(rule.group)) continue;
      const entry = wanted.get(rule.projectId) ?? { groups: [], roles: [] };
      entry.groups.push(rule.group);
      for (const role of rule.roleNames) if (!entry.roles.includes(role)) entry.roles.push(role);
      wanted.set(rule.projectId, entry);
    }
    if (wanted.size === 0) return { changes: [], skipped: [] };

    const run = () =>
      inTransaction(this.deps, async (trx) => {
        const now = this.deps.now();
        const changes: RoleChange[] = [];
        const skipped: SamlLoginResult['skipped'] = [];
        const skip = (groupNames: string[], projectId: string, reason: string) => {
          for (const group of groupNames) skipped.push({ group, projectId, reason });
        };
        for (const [projectId, entry] of wanted) {
          const project = await findProject(trx, projectId);
          if (!project || project.organization_id !== row.organization_id) {
            skip(entry.groups, projectId, 'the project does not exist or is not in the provider’s organization');
            continue;
          }
          const resource: ResourceRef = { type: 'project', id: projectId };
          const roles: string[] = [];
          for (const name of entry.roles) {
            try {
              const [resolved] = await resolveRoles(trx, resource, [name], { forUpdate: true });
              if (resolved?.definition.appliesToUsers) roles.push(name);
              else skip(entry.groups, projectId, `role ${name} cannot be held by people`);
            } catch (error) {
              if (!(error instanceof Problem)) throw error;
              skip(entry.groups, projectId, `role ${name} does not exist on the project`);
            }
          }
          if (roles.length === 0) continue;
          const membership = await findMembership(trx, resource, userId);
          if (!membership) {
            await addMember(trx, resource, { kind: 'user', id: userId }, roles, now);
            changes.push({ projectId, joined: true, addedRoles: roles });
            continue;
          }
          if (membership.principal_kind !== 'user') continue;
          const current = await rolesOf(trx, resource, userId);
          const added = roles.filter((name) => !current.includes(name));
          if (added.length === 0) continue;
          await setMembershipRoles(trx, membership, current, [...current, ...added]);
          changes.push({ projectId, joined: false, addedRoles: added });
        }
        if (changes.length > 0) {
          await audit(trx, actor, now, {
            action: 'sso.roles.apply',
            target: { type: 'user', id: userId },
            after: { providerId: row.id, organizationId: row.organization_id, groups: [...groups].slice(0, 100), changes },
          });
        }
        return { changes, skipped };
      });
    try {
      return await run();
    } catch (error) {
      // Two first logins of the same person at once: the second sees the first one's membership.
      if (isUniqueViolation(error)) return run();
      throw error;
    }
  }

  /**
   * node-saml configured for one provider. `InResponseTo` is checked against the one request id
   * the flow holds (node-saml's request-id cache is replaced by the flow, which lives in the
   * database and so works on every node).
   */
  private async serviceProvider(
    row: IdentityProviderRow,
    config: SamlProviderConfig,
    request: { requestId: string; createdAt?: string },
  ): Promise<SAML> {
    const { SAML, ValidateInResponseTo } = await nodeSaml();
    const options: SamlConfig = {
      entryPoint: config.entryPoint,
      issuer: this.entityId(row.id),
      callbackUrl: this.acsUrl(row.id),
      audience: this.entityId(row.id),
      idpCert: config.idpCert,
      idpIssuer: config.idpIssuer,
      identifierFormat: null,
      // Ask for no particular authentication method: the identity provider's own policy (MFA…) applies.
      disableRequestedAuthnContext: true,
      wantAssertionsSigned: true,
      // Many identity providers sign only the assertion; that signature is the one that counts.
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: SAML_CLOCK_SKEW_MS,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: FLOW_TTL_MS,
      generateUniqueId: () => request.requestId,
      cacheProvider: {
        saveAsync: async (key, value) => (key === request.requestId ? { value, createdAt: Date.now() } : null),
        getAsync: async (key) => (key === request.requestId ? (request.createdAt ?? new Date().toISOString()) : null),
        removeAsync: async (key) => key,
      },
    };
    return new SAML(options);
  }
}

/** The stored configuration, checked: a row written by hand or by an older version fails clearly. */
export function parseConfig(row: IdentityProviderRow): SamlProviderConfig {
  let value: unknown;
  try {
    value = JSON.parse(row.config);
  } catch {
    value = null;
  }
  const config = value as Partial<SamlProviderConfig> | null;
  const text = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
  const mappingsOk =
    config?.roleMappings === undefined ||
    (Array.isArray(config.roleMappings) &&
      config.roleMappings.every(
        (m) => text(m?.group) && text(m?.projectId) && Array.isArray(m?.roleNames) && m.roleNames.every((r) => text(r)),
      ));
  if (!config || !text(config.entryPoint) || !text(config.idpIssuer) || !text(config.idpCert) || !mappingsOk) {
    throw new Problem(500, 'This login provider is not configured correctly', {
      code: 'provider_misconfigured',
      hint: 'An administrator of the organization must fix the provider’s configuration (entryPoint, idpIssuer, idpCert, roleMappings).',
    });
  }
  return config as SamlProviderConfig;
}

function requestIdOf(flow: LoginFlowRow): string {
  try {
    const data = JSON.parse(flow.data) as { requestId?: unknown };
    if (typeof data.requestId === 'string' && data.requestId !== '') return data.requestId;
  } catch {
    // fall through
  }
  throw invalidResponse('the login flow holds no SAML request id');
}

/** The person the assertion describes. */
function identityOf(
  config: SamlProviderConfig,
  profile: Profile,
): { subject: string; email: string; displayName: string | undefined; groups: Set<string> } {
  const subject = typeof profile.nameID === 'string' ? profile.nameID.trim() : '';
  if (subject === '' || subject.length > 512) throw invalidResponse('assertion without a usable NameID');
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const candidates = config.emailAttribute ? texts(attributes[config.emailAttribute]) : [subject, ...texts(profile.email)];
  let email: string | undefined;
  for (const candidate of candidates) {
    try {
      email = normalizeEmail(candidate);
      break;
    } catch {
      // not an e-mail address: try the next one
    }
  }
  if (!email) {
    throw new SamlRejection(
      400,
      'The identity provider did not send an e-mail address',
      {
        code: 'saml_email_missing',
        hint: config.emailAttribute
          ? `The identity provider must send the person’s e-mail address in the attribute "${config.emailAttribute}"; ask an administrator of your organization.`
          : 'The identity provider must send an e-mail address as the NameID, or the provider’s emailAttribute must name the attribute that holds it; ask an administrator of your organization.',
      },
      `no e-mail address in ${config.emailAttribute ? `attribute ${config.emailAttribute}` : 'the NameID'}`,
    );
  }
  const displayName = texts(attributes[config.nameAttribute ?? 'displayName'])[0]?.slice(0, 200);
  const groups = new Set(texts(attributes[config.groupsAttribute ?? 'groups']));
  return { subject, email, displayName, groups };
}

/** An attribute's values as strings (one value, several, or none). */
function texts(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The `Recipient` of every bearer subject confirmation in the (verified) assertion. */
function subjectConfirmationRecipients(profile: Profile): string[] {
  const assertion = profile.getAssertion?.() as { Assertion?: XmlNode } | undefined;
  const out: string[] = [];
  for (const subject of children(assertion?.Assertion, 'Subject')) {
    for (const confirmation of children(subject, 'SubjectConfirmation')) {
      for (const data of children(confirmation, 'SubjectConfirmationData')) {
        const recipient = data.$?.Recipient;
        out.push(typeof recipient === 'string' ? recipient : '');
      }
    }
  }
  return out;
}

interface XmlNode {
  $?: Record<string, unknown>;
  [child: string]: unknown;
}

function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const value = node?.[name];
  return Array.isArray(value) ? (value.filter((v) => typeof v === 'object' && v !== null) as XmlNode[]) : [];
}
