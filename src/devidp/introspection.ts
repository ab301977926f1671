/**
 * Token introspection (RFC 7662) the Zitadel way: the caller is an API app (Basic or
 * private_key_jwt), and a token is only `active` for an API in its audience. oidc-provider's own
 * endpoint neither knows our JWTs nor this audience rule, so we answer it ourselves.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662
 */
import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { profileClaims, roleClaims, type Realm } from './claims.ts';
import { audList, epochNow, json, oauthError } from './http.ts';
import type { ServiceUser } from './jwt-bearer.ts';
import type { TokenService } from './tokens.ts';
import type { DevIdpUser } from './types.ts';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ApiAppSecrets {
  clientId: string;
  clientSecret: string;
  keyId: string;
  publicKey: KeyObject;
}

export interface IntrospectionDeps {
  realm: Realm;
  apiApp: ApiAppSecrets;
  tokens: TokenService;
  users: DevIdpUser[];
  serviceUser: ServiceUser;
}

/** Basic credentials are form-encoded before base64 (RFC 6749 §2.3.1), hence the decode. */
function basicCredentials(header: string | null): { id: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  const un = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: un(decoded.slice(0, i)), secret: un(decoded.slice(i + 1)) };
  } catch {
    return undefined;
  }
}

async function clientAssertionValid(assertion: string, d: IntrospectionDeps): Promise<boolean> {
  try {
    const header = decodeProtectedHeader(assertion);
    if (header.alg !== 'RS256' || header.kid !== d.apiApp.keyId) return false;
    const { payload } = await compactVerify(assertion, d.apiApp.publicKey);
    const c = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    const now = epochNow();
    return (
      c.iss === d.apiApp.clientId &&
      c.sub === d.apiApp.clientId &&
      audList(c.aud).includes(d.realm.issuer) &&
      typeof c.exp === 'number' &&
      c.exp > now &&
      (typeof c.iat !== 'number' || c.iat <= now + 1)
    );
  } catch {
    return false;
  }
}

async function authenticated(req: Request, form: URLSearchParams, d: IntrospectionDeps): Promise<boolean> {
  const basic = basicCredentials(req.headers.get('authorization'));
  if (basic) return basic.id === d.apiApp.clientId && basic.secret === d.apiApp.clientSecret;
  const assertion = form.get('client_assertion');
  if (form.get('client_assertion_type') === CLIENT_ASSERTION_TYPE && assertion) return clientAssertionValid(assertion, d);
  return false;
}

export async function introspect(req: Request, form: URLSearchParams, d: IntrospectionDeps): Promise<Response> {
  if (!(await authenticated(req, form, d))) return oauthError(401, 'invalid_client', 'client authentication failed');
  const token = form.get('token');
  if (!token) return oauthError(400, 'invalid_request', 'token missing');

  const record = await d.tokens.resolve(token);
  if (!record || !record.aud.some((a) => a === d.apiApp.clientId || a === d.realm.projectId)) return json({ active: false });

  const user = d.users.find((u) => u.sub === record.sub);
  const isService = record.sub === d.serviceUser.userId;
  return json({
    active: true,
    scope: record.scope,
    client_id: record.clientId,
    token_type: 'Bearer',
    exp: record.exp,
    iat: record.iat,
    nbf: record.nbf,
    sub: record.sub,
    aud: record.aud,
    iss: d.realm.issuer,
    jti: record.jti,
    username: user?.username ?? (isService ? d.serviceUser.username : record.sub),
    ...(user ? profileClaims(user) : {}),
    // Zitadel always includes roles on introspection; service users get the per-project form only.
    ...(user ? roleClaims(user.roles, d.realm, { generic: true }) : {}),
    ...(isService ? roleClaims(d.serviceUser.roles, d.realm, { generic: false }) : {}),
    ...record.claims,
  });
}
