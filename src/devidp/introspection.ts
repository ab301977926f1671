/**
 * Token introspection (RFC 7662) the Zitadel way: the caller is an API app (Basic or
 * private_key_jwt), and a token is only `active` for an API in its audience. oidc-provider's own
 * endpoint neither knows our JWTs nor this audience rule, so we answer it ourselves.
 *
 * Client authentication follows zitadel/oidc v3.36.1 `pkg/op/server_http.go`
 * (`parseClientCredentials`, `introspectionHandler`) and zitadel v2.71.18
 * `internal/api/oidc/introspect.go` (`introspectionClientAuth`, `clientFromCredentials`) and
 * `client_converter.go` (`clientIDFromCredentials`); unchanged in v4.13.1. Every error is 400
 * (`op.WriteError`): no credentials at all → `invalid_request`; a client id without secret or
 * assertion, or an undecodable Basic header → `invalid_client`; an unknown client, a wrong secret or
 * a bad assertion → `unauthorized_client` (no description). An assertion that is not even a JWT
 * fails as `invalid_client` inside `Introspect`, which only returns `unauthorized_client` errors:
 * the caller gets 200 `{"active":false}`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662
 */
import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { assertionClaimsValid, parseJwtClaims } from './assertion.ts';
import { assertedRoles, profileClaims, serviceUserProfile, type Realm } from './claims.ts';
import { json, oauthError } from './http.ts';
import type { ServiceUser } from './jwt-bearer.ts';
import { splitScope } from './scopes.ts';
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

type ClientAuth =
  | { ok: true }
  | { ok: false; response: Response };

/** `op.VerifyJWTAssertion` against the API app's key (1 h iat window, 1 s offset). */
async function assertionValid(assertion: string, claims: Record<string, unknown>, d: IntrospectionDeps): Promise<boolean> {
  if (!assertionClaimsValid(claims, d.realm.issuer, Date.now() / 1000)) return false;
  try {
    const header = decodeProtectedHeader(assertion);
    if (header.kid !== d.apiApp.keyId) return false;
    await compactVerify(assertion, d.apiApp.publicKey);
    return true;
  } catch {
    return false;
  }
}

const unauthorized = (): ClientAuth => ({ ok: false, response: oauthError(400, 'unauthorized_client') });

async function authenticate(req: Request, form: URLSearchParams, d: IntrospectionDeps): Promise<ClientAuth> {
  let clientId = form.get('client_id') ?? '';
  let secret = form.get('client_secret') ?? '';
  const assertion = form.get('client_assertion') ?? '';
  const auth = req.headers.get('authorization');
  if (auth?.toLowerCase().startsWith('basic ')) {
    // Go's r.BasicAuth + url.QueryUnescape (RFC 6749 §2.3.1 form-encodes id and secret).
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i >= 0) {
      try {
        const un = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
        clientId = un(decoded.slice(0, i));
        secret = un(decoded.slice(i + 1));
      } catch {
        return { ok: false, response: oauthError(400, 'invalid_client', 'invalid basic auth header') };
      }
    }
  }
  if (clientId === '' && assertion === '') {
    return { ok: false, response: oauthError(400, 'invalid_request', 'client_id or client_assertion must be provided') };
  }
  if (assertion !== '' && form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) {
    return { ok: false, response: oauthError(400, 'invalid_request', 'invalid client_assertion_type') };
  }
  if (secret === '' && assertion === '') return { ok: false, response: oauthError(400, 'invalid_client', 'client must be authenticated') };
  if (!form.get('token')) return { ok: false, response: oauthError(400, 'invalid_request', 'token missing') };

  if (assertion !== '') {
    const claims = parseJwtClaims(assertion);
    if (!claims) return { ok: false, response: json({ active: false }) };
    if (claims.iss !== d.apiApp.clientId) return unauthorized();
    return (await assertionValid(assertion, claims, d)) ? { ok: true } : unauthorized();
  }
  if (clientId !== d.apiApp.clientId || secret !== d.apiApp.clientSecret) return unauthorized();
  return { ok: true };
}

export async function introspect(req: Request, form: URLSearchParams, d: IntrospectionDeps): Promise<Response> {
  const auth = await authenticate(req, form, d);
  if (!auth.ok) return auth.response;

  const record = await d.tokens.resolve(form.get('token') ?? '');
  // validateIntrospectionAudience: the token's aud must name the calling API or its project.
  if (!record || !record.aud.some((a) => a === d.apiApp.clientId || a === d.realm.projectId)) return json({ active: false });

  const scopes = splitScope(record.scope);
  const user = d.users.find((u) => u.sub === record.sub);
  const isService = record.sub === d.serviceUser.userId;
  const roles = user?.roles ?? (isService ? d.serviceUser.roles : []);
  const profile = user ? profileClaims(user, scopes) : isService ? serviceUserProfile(d.serviceUser, scopes) : { sub: record.sub };
  return json({
    active: true,
    scope: record.scope,
    client_id: record.clientId,
    token_type: 'Bearer',
    exp: record.exp,
    iat: record.iat,
    nbf: record.nbf,
    aud: record.aud,
    iss: d.realm.issuer,
    jti: record.jti,
    ...(typeof profile.preferred_username === 'string' ? { username: profile.preferred_username } : {}),
    ...record.claims,
    ...profile,
    // Roles of the introspecting API's project only, both claim forms (currentProjectOnly = true).
    ...assertedRoles(roles, d.realm, scopes, { projectId: d.realm.projectId, projectRoleAssertion: true, currentProjectOnly: true }),
  });
}
