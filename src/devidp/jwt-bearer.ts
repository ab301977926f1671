/**
 * The JWT profile grant (RFC 7523) as Zitadel implements it for service users — oidc-provider has
 * none, and its token endpoint insists on client authentication, which this grant does not use.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 */
import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { projectAudScope, roleClaims, type Realm } from './claims.ts';
import { audList, epochNow, json, oauthError } from './http.ts';
import { TokenService } from './tokens.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The generated service user and the public half of its key. */
export interface ServiceUser {
  userId: string;
  username: string;
  keyId: string;
  publicKey: KeyObject;
  roles: string[];
}

export interface JwtBearerDeps {
  realm: Realm;
  serviceUser: ServiceUser;
  tokens: TokenService;
  format: 'jwt' | 'opaque';
  ttlSec: number;
}

const reject = (description: string) => oauthError(400, 'invalid_grant', description);

/** Checks the assertion with Zitadel's rules (see zitadel.md) and issues the service user's token. */
export async function jwtBearerGrant(form: URLSearchParams, d: JwtBearerDeps): Promise<Response> {
  const assertion = form.get('assertion');
  if (!assertion) return oauthError(400, 'invalid_request', 'assertion missing');
  const { serviceUser: su, realm } = d;

  let claims: Record<string, unknown>;
  try {
    const header = decodeProtectedHeader(assertion);
    if (header.alg !== 'RS256') return reject('assertion must be signed with RS256');
    if (header.kid !== su.keyId) return reject('assertion key id unknown');
    const { payload } = await compactVerify(assertion, su.publicKey);
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  } catch {
    return reject('assertion signature invalid');
  }

  const now = epochNow();
  if (claims.iss !== su.userId || claims.sub !== su.userId) return reject('assertion iss and sub must be the service user id');
  // Exact issuer string: Zitadel rejects the token endpoint URL or a trailing slash.
  if (!audList(claims.aud).includes(realm.issuer)) return reject('assertion audience must contain the issuer');
  if (typeof claims.iat !== 'number' || claims.iat > now + 1 || claims.iat < now - 3600) return reject('assertion iat out of range');
  if (typeof claims.exp !== 'number' || claims.exp <= now + 1) return reject('assertion expired');

  const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
  if (!requested.includes('openid')) return reject('scope must contain openid');
  // Unknown scopes are dropped silently; no refresh tokens for this grant.
  const granted = [...new Set(requested.filter((s) => ['openid', 'profile', 'email'].includes(s) || s.startsWith('urn:zitadel:iam:')))];
  const withAudience = granted.includes(projectAudScope(realm.projectId));

  const iat = now;
  const exp = now + d.ttlSec;
  const jti = TokenService.jti();
  const aud = withAudience ? [realm.projectId] : [su.userId];
  const extra = withAudience ? roleClaims(su.roles, realm, { generic: false }) : {};
  const scope = granted.join(' ');
  const access_token =
    d.format === 'jwt'
      ? await d.tokens.signJwt({ iss: realm.issuer, sub: su.userId, aud, client_id: su.userId, exp, iat, nbf: iat, jti, ...extra }, { scope })
      : d.tokens.mintOpaque({ sub: su.userId, clientId: su.userId, aud, scope, iat, exp, nbf: iat, jti, claims: extra });
  return json({ access_token, token_type: 'Bearer', expires_in: d.ttlSec, scope });
}
