/**
 * The JWT profile grant (RFC 7523) as Zitadel implements it for service users — oidc-provider has
 * none, and its token endpoint insists on client authentication, which this grant does not use.
 *
 * Zitadel sources: `internal/api/oidc/token_jwt_profile.go` (v2.71.18, v4.13.1),
 * `internal/api/oidc/token.go` `accessTokenResponseFromSession`, `internal/api/oidc/client_credentials.go`
 * (`clientCredentialsClient`), `internal/api/oidc/error.go`; zitadel/oidc v3.36.1
 * `pkg/op/verifier_jwt_profile.go`, `pkg/oidc/verifier.go`, `pkg/op/server_http.go` `jwtProfileHandler`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 */
import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { assertionClaimsValid, parseJwtClaims } from './assertion.ts';
import { accessTokenHash, assertedRoles, NO_PROJECT_ROLE_CONTEXT, type Realm } from './claims.ts';
import { epochNow, json, oauthError } from './http.ts';
import { allowedScopes, audScopeProjects, splitScope } from './scopes.ts';
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

/** Who the grant's OAuth client is: see {@link DevIdpOptions.jwtProfileClient}. */
export type JwtProfileClient = 'username' | 'userId';
/** How a bad assertion is answered: see {@link DevIdpOptions.jwtProfileErrors}. */
export type JwtProfileErrors = 'v2.71' | 'current';

export interface JwtBearerDeps {
  realm: Realm;
  serviceUser: ServiceUser;
  tokens: TokenService;
  format: 'jwt' | 'opaque';
  ttlSec: number;
  client: JwtProfileClient;
  errors: JwtProfileErrors;
}

/** zitadel/oidc `ValidateAuthReqScopes`: the only scope rule of this grant is "not empty". */
const EMPTY_SCOPE =
  'The scope of your request is missing. Please ensure some scopes are requested. If you have any questions, you may contact the administrator of the application.';

/**
 * Every failure of the assertion check leaves `verifyJWTProfile` as a plain Go error. Released
 * Zitadel (v2.71.18 … v4.13.1) passes it through `oidcError`, which turns unknown errors into
 * `Errors.Internal` → 500 server_error. Zitadel's main branch since commit 5344a7f (#11933,
 * 2026-04-01, not in a release tag yet) wraps it as `invalid_grant` "invalid assertion" → 400.
 */
function badAssertion(mode: JwtProfileErrors): Response {
  return mode === 'current' ? oauthError(400, 'invalid_grant', 'invalid assertion') : oauthError(500, 'server_error', 'Errors.Internal');
}

/** Signature algorithms go-jose accepts when zitadel/oidc passes no list (`toJoseSignatureAlgorithms`). */
const ASSERTION_ALGS = new Set(['RS256', 'PS256', 'ES256']);

/**
 * The checks of `op.VerifyJWTAssertion`, in its order: parse, `aud` contains the issuer exactly,
 * `exp` after now + 1 s, `iat` present, not after now + 1 s, not older than 1 h, `iss == sub`, then
 * the signature with the key the user registered under `kid`. No `jti` check.
 */
async function verifyAssertion(assertion: string, d: JwtBearerDeps): Promise<boolean> {
  const claims = parseJwtClaims(assertion);
  if (!claims || !assertionClaimsValid(claims, d.realm.issuer, Date.now() / 1000)) return false;
  const su = d.serviceUser;
  try {
    const header = decodeProtectedHeader(assertion);
    // GetAuthNKeyUser(keyId, userId = iss): the key must be this user's.
    if (!ASSERTION_ALGS.has(String(header.alg)) || header.kid !== su.keyId || claims.iss !== su.userId) return false;
    await compactVerify(assertion, su.publicKey);
    return true;
  } catch {
    return false;
  }
}

/** Checks the assertion with Zitadel's rules and issues the service user's token. */
export async function jwtBearerGrant(form: URLSearchParams, d: JwtBearerDeps): Promise<Response> {
  const assertion = form.get('assertion');
  if (!assertion) return oauthError(400, 'invalid_request', 'assertion missing');
  if (!(await verifyAssertion(assertion, d))) return badAssertion(d.errors);

  const requested = splitScope(form.get('scope'));
  if (requested.length === 0) return oauthError(400, 'invalid_request', EMPTY_SCOPE);
  // Unknown scopes are dropped silently; `openid` is not required.
  const scopes = allowedScopes(requested);

  const { serviceUser: su, realm } = d;
  // v2.62+ (commit 58a7eb1, #8580): clientCredentialsClient{clientID: user.Username}; before: the userId.
  const clientId = d.client === 'username' ? su.username : su.userId;
  const iat = epochNow();
  const exp = iat + d.ttlSec;
  const jti = TokenService.jti();
  // The session audience is only what audience scopes name; NewAccessTokenClaims falls back to the client.
  const sessionAudience = audScopeProjects(requested);
  const aud = sessionAudience.length > 0 ? sessionAudience : [clientId];
  // The JWT-profile "client" has no project and asserts no roles (accessTokenResponseFromSession(…, "", false, …)).
  const roles = assertedRoles(su.roles, realm, scopes, NO_PROJECT_ROLE_CONTEXT);
  const scope = scopes.join(' ');
  const access_token =
    d.format === 'jwt'
      ? await d.tokens.signJwt({ iss: realm.issuer, sub: su.userId, aud, exp, iat, nbf: iat, client_id: clientId, jti, ...roles }, { scope })
      : d.tokens.mintOpaque({ sub: su.userId, clientId, aud, scope, iat, exp, nbf: iat, jti, claims: roles });

  const body: Record<string, unknown> = { access_token, token_type: 'Bearer', expires_in: d.ttlSec };
  if (scopes.includes('openid')) {
    // createIDToken with the clientCredentialsClient: IDTokenLifetime() is 0, so exp == iat; no
    // profile (userInfoAssertion false); roles as in the access token (v2.62+; v2.61 asserted none).
    body.id_token = await d.tokens.signJwt({
      iss: realm.issuer,
      sub: su.userId,
      aud: [...new Set([...sessionAudience, clientId])],
      exp: iat,
      iat,
      auth_time: iat,
      azp: clientId,
      client_id: clientId,
      at_hash: accessTokenHash(access_token),
      ...(d.client === 'username' ? roles : {}),
    });
  }
  // No `scope` and no `refresh_token`: Zitadel never sets them for this grant.
  return json(body);
}
