/**
 * A real SAML 2.0 identity provider for tests, built on `samlify`: its own RSA key and self-signed
 * certificate (made here with node:crypto and a small DER writer, no openssl), an HTTP server on
 * 127.0.0.1 with
 *
 *   GET  /sso     the single sign-on service (HTTP-Redirect binding): parses the AuthnRequest and
 *                 shows a login page where the test "logs in as" somebody with chosen groups;
 *   POST /login   builds the signed response and shows a page that posts it to the service
 *                 provider's assertion consumer service (a form that submits itself, and a
 *                 "Continue" button for browsers without scripts);
 *   GET  /metadata the identity provider's metadata.
 *
 * Service providers are trusted by handing their metadata to `trust()`, as an administrator would.
 * `response()` builds answers directly, including the bad ones a test must see refused: unsigned,
 * signed with another key, tampered with after signing, for another audience, expired.
 */
import { createSign, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import samlify from 'samlify';

// samlify refuses to parse messages without a schema validator; this IdP trusts its test's requests.
samlify.setSchemaValidator({ validate: async () => 'skipped' });

const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

// ---------------------------------------------------------------------------------------------
// A self-signed X.509 certificate with node:crypto alone.

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const sequence = (...content: Buffer[]) => der(0x30, ...content);

/** A non-negative integer from its big-endian bytes, minimally encoded. */
function derInteger(value: Buffer): Buffer {
  let bytes = value;
  while (bytes.length > 1 && bytes[0] === 0 && ((bytes[1] ?? 0) & 0x80) === 0) bytes = bytes.subarray(1);
  return der(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function derOid(oid: string): Buffer {
  const [first = 0, second = 0, ...rest] = oid.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const part of rest) {
    const chunk = [part & 0x7f];
    for (let n = part >> 7; n > 0; n >>= 7) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function derName(commonName: string): Buffer {
  return sequence(der(0x31, sequence(derOid('2.5.4.3'), der(0x0c, Buffer.from(commonName, 'utf8')))));
}

function derTime(date: Date): Buffer {
  // UTCTime, YYMMDDHHMMSSZ (valid until 2049).
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return der(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

export interface KeyAndCertificate {
  privateKeyPem: string;
  certificatePem: string;
}

/** An RSA key and a self-signed certificate for it (SHA-256 with RSA, valid for two days). */
export function selfSignedCertificate(commonName: string): KeyAndCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sha256WithRsa = sequence(derOid('1.2.840.113549.1.1.11'), der(0x05));
  const now = Date.now();
  // A positive serial in minimal DER: no leading zero byte, no high bit.
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  const tbs = sequence(
    der(0xa0, derInteger(Buffer.from([2]))), // version 3
    derInteger(serial),
    sha256WithRsa,
    derName(commonName),
    sequence(derTime(new Date(now - 86_400_000)), derTime(new Date(now + 2 * 86_400_000))),
    derName(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const certificate = sequence(tbs, sha256WithRsa, der(0x03, Buffer.from([0]), signature));
  const body = certificate.toString('base64').replace(/.{64}/g, '$&\n');
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
  // Proves the writer: node parses it, and it verifies with its own key.
  if (!new X509Certificate(certificatePem).verify(publicKey)) throw new Error('self-signed certificate does not verify');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certificatePem };
}

// ---------------------------------------------------------------------------------------------
// The identity provider.

export interface SamlUser {
  email: string;
  /** The NameID (default: the e-mail address). */
  nameId?: string;
  name?: string;
  groups?: string[];
}

/** A login request as the service provider sent it (decoded from its redirect). */
export interface SamlRequestInfo {
  requestId: string;
  relayState: string;
  /** The service provider's entity id (the request's Issuer). */
  spEntityId: string;
}

export interface ResponseOptions {
  request: SamlRequestInfo;
  user: SamlUser;
  /** What is signed: the assertion (default, what the SP's metadata asks), the response only, both, or nothing. */
  sign?: 'assertion' | 'response' | 'both' | 'none';
  /** Sign with this key instead of the IdP's (an impostor). */
  signingKey?: KeyAndCertificate;
  /** Change the XML after signing: the signature no longer matches. */
  tamper?: (xml: string) => string;
  audience?: string;
  recipient?: string;
  issuer?: string;
  inResponseTo?: string;
  /** Validity window (default: from now to five minutes from now). */
  notBefore?: Date;
  notOnOrAfter?: Date;
}

export interface SamlIdp {
  url: string;
  entityId: string;
  /** The single sign-on URL (HTTP-Redirect binding): the SAML provider's `entryPoint`. */
  ssoUrl: string;
  certificatePem: string;
  /** Trusts a service provider: its metadata as Gatehouse serves it. */
  trust(spMetadataXml: string): void;
  /** Reads the AuthnRequest out of the service provider's redirect to `ssoUrl`. */
  parseRedirect(location: string): SamlRequestInfo;
  /** A SAMLResponse (base64) for a request, signed as asked. */
  response(options: ResponseOptions): Promise<string>;
  /** The assertion consumer service of a trusted service provider. */
  acsOf(spEntityId: string): string;
  close(): Promise<void>;
}

export async function startSamlIdp(): Promise<SamlIdp> {
  const keys = selfSignedCertificate('Gatehouse test IdP');
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`IdP error: ${error instanceof Error ? error.message : error}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const entityId = `${url}/metadata`;
  const ssoUrl = `${url}/sso`;
  const idp = samlify.IdentityProvider({
    entityID: entityId,
    privateKey: keys.privateKeyPem,
    signingCert: keys.certificatePem,
    nameIDFormat: [NAMEID_EMAIL],
    requestSignatureAlgorithm: RSA_SHA256,
    singleSignOnService: [{ Binding: BINDING_REDIRECT, Location: ssoUrl }],
    wantAuthnRequestsSigned: false,
  });
  const serviceProviders = new Map<string, ReturnType<typeof samlify.ServiceProvider>>();
  /** Logins waiting at the login page, by a random key carried in the form. */
  const pending = new Map<string, SamlRequestInfo>();

  function serviceProvider(spEntityId: string) {
    const sp = serviceProviders.get(spEntityId);
    if (!sp) throw new Error(`unknown service provider ${spEntityId}`);
    return sp;
  }

  function parseRedirect(location: string): SamlRequestInfo {
    const query = new URL(location).searchParams;
    const request = query.get('SAMLRequest');
    if (!request) throw new Error('no SAMLRequest in the redirect');
    const xml = inflateRawSync(Buffer.from(request, 'base64')).toString('utf8');
    const requestId = /\bID="([^"]+)"/.exec(xml)?.[1];
    const spEntityId = /<(?:\w+:)?Issuer\b[^>]*>([^<]+)</.exec(xml)?.[1];
    if (!requestId || !spEntityId) throw new Error('unreadable AuthnRequest');
    return { requestId, relayState: query.get('RelayState') ?? '', spEntityId };
  }

  /** The response XML for a request, unsigned; `{…}` tags filled as samlify's template names them. */
  function responseXml(options: ResponseOptions): { id: string; xml: string } {
    const { request, user } = options;
    const now = new Date();
    const notBefore = (options.notBefore ?? now).toISOString();
    const notOnOrAfter = (options.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
    const acs = serviceProvider(request.spEntityId).entityMeta.getAssertionConsumerService(
      samlify.Constants.wording.binding.post,
    );
    const id = `_${randomBytes(16).toString('hex')}`;
    const template = samlify.SamlLib.defaultLoginResponseTemplate.context.replace(
      '{AttributeStatement}',
      attributeStatement({ email: user.email, displayName: user.name, groups: user.groups }),
    );
    const xml = samlify.SamlLib.replaceTagsByValue(template, {
      ID: id,
      AssertionID: `_${randomBytes(16).toString('hex')}`,
      Destination: typeof acs === 'string' ? acs : '',
      Audience: options.audience ?? request.spEntityId,
      SubjectRecipient: options.recipient ?? (typeof acs === 'string' ? acs : ''),
      Issuer: options.issuer ?? entityId,
      IssueInstant: now.toISOString(),
      StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: notBefore,
      ConditionsNotOnOrAfter: notOnOrAfter,
      SubjectConfirmationDataNotOnOrAfter: notOnOrAfter,
      NameIDFormat: NAMEID_EMAIL,
      NameID: user.nameId ?? user.email,
      InResponseTo: options.inResponseTo ?? request.requestId,
      AuthnStatement: `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
    });
    return { id, xml };
  }

  function sign(xml: string, what: 'assertion' | 'response', key: KeyAndCertificate): string {
    const base = {
      privateKey: key.privateKeyPem,
      // samlify takes the certificate as its metadata shows it: the base64 body, no PEM armour.
      signingCert: key.certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''),
      signatureAlgorithm: RSA_SHA256,
      isBase64Output: false,
      rawSamlMessage: xml,
    };
    return what === 'assertion'
      ? samlify.SamlLib.constructSAMLSignature({
          ...base,
          referenceTagXPath: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']",
          signatureConfig: {
            prefix: 'ds',
            location: {
              reference: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']",
              action: 'after',
            },
          },
        })
      : samlify.SamlLib.constructSAMLSignature({
          ...base,
          isMessageSigned: true,
          signatureConfig: {
            prefix: 'ds',
            location: { reference: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']", action: 'after' },
          },
        });
  }

  async function response(options: ResponseOptions): Promise<string> {
    const signing = options.sign ?? 'assertion';
    const key = options.signingKey ?? keys;
    let { xml } = responseXml(options);
    if (signing === 'assertion' || signing === 'both') xml = sign(xml, 'assertion', key);
    if (signing === 'response' || signing === 'both') xml = sign(xml, 'response', key);
    if (options.tamper) xml = options.tamper(xml);
    return Buffer.from(xml, 'utf8').toString('base64');
  }

  /** The real IdP path for the browser: samlify's createLoginResponse, signed as the SP's metadata asks. */
  async function browserResponse(request: SamlRequestInfo, user: SamlUser): Promise<{ acs: string; samlResponse: string }> {
    const sp = serviceProvider(request.spEntityId);
    const { id, xml } = responseXml({ request, user });
    const result = await idp.createLoginResponse(
      sp,
      { extract: { request: { id: request.requestId } } },
      'post',
      { email: user.email },
      { customTagReplacement: () => ({ id, context: xml }) },
    );
    const { context } = result as { context: string; entityEndpoint: string };
    return { acs: (result as { entityEndpoint: string }).entityEndpoint, samlResponse: context };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestUrl = new URL(req.url ?? '/', url);
    if (req.method === 'GET' && requestUrl.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(idp.getMetadata());
      return;
    }
    if (req.method === 'GET' && requestUrl.pathname === '/sso') {
      const info = parseRedirect(requestUrl.toString());
      // samlify's own parser as well: the request is a well-formed AuthnRequest from a trusted SP.
      const parsed = await idp.parseLoginRequest(serviceProvider(info.spEntityId), 'redirect', {
        query: Object.fromEntries(requestUrl.searchParams),
      });
      if ((parsed.extract.request as { id?: string } | undefined)?.id !== info.requestId) throw new Error('request id mismatch');
      const key = randomBytes(12).toString('hex');
      pending.set(key, info);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(key, info.spEntityId));
      return;
    }
    if (req.method === 'POST' && requestUrl.pathname === '/login') {
      const form = new URLSearchParams(await readBody(req));
      const info = pending.get(form.get('pending') ?? '');
      if (!info) throw new Error('unknown pending login');
      pending.delete(form.get('pending') ?? '');
      const groups = (form.get('groups') ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter((g) => g !== '');
      const user: SamlUser = { email: form.get('email') ?? '', name: form.get('name') ?? '', groups };
      const { acs, samlResponse } = await browserResponse(info, user);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(postPage(acs, samlResponse, info.relayState));
      return;
    }
    if (requestUrl.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  return {
    url,
    entityId,
    ssoUrl,
    certificatePem: keys.certificatePem,
    trust(spMetadataXml) {
      const sp = samlify.ServiceProvider({ metadata: spMetadataXml });
      serviceProviders.set(sp.entityMeta.getEntityID(), sp);
    },
    parseRedirect,
    response,
    acsOf: (spEntityId) =>
      String(serviceProvider(spEntityId).entityMeta.getAssertionConsumerService(samlify.Constants.wording.binding.post)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function attributeStatement(values: { email: string; displayName?: string | undefined; groups?: string[] | undefined }): string {
  const attribute = (name: string, items: string[]) =>
    items.length === 0
      ? ''
      : `<saml:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${items
          .map((v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`)
          .join('')}</saml:Attribute>`;
  return `<saml:AttributeStatement>${attribute('email', [values.email])}${attribute('displayName', values.displayName ? [values.displayName] : [])}${attribute('groups', values.groups ?? [])}</saml:AttributeStatement>`;
}

function loginPage(key: string, spEntityId: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test IdP login</title></head><body>
<h1>Test identity provider</h1>
<p>Logging in to ${escapeXml(spEntityId)}</p>
<form method="post" action="/login">
<input type="hidden" name="pending" value="${key}">
<label>E-mail <input name="email" type="email" required></label>
<label>Name <input name="name"></label>
<label>Groups (comma-separated) <input name="groups"></label>
<button type="submit">Log in</button>
</form></body></html>`;
}

function postPage(acs: string, samlResponse: string, relayState: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Signing you in…</title></head><body>
<form id="saml" method="post" action="${escapeXml(acs)}">
<input type="hidden" name="SAMLResponse" value="${escapeXml(samlResponse)}">
<input type="hidden" name="RelayState" value="${escapeXml(relayState)}">
<button type="submit">Continue</button>
</form>
<script>document.getElementById('saml').submit();</script>
</body></html>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
