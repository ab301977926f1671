/**
 * `/oidc/v1/userinfo`, answered in front of oidc-provider because its endpoint rejects JWT access
 * tokens issued for a resource server; Zitadel accepts both JWT and opaque tokens here.
 *
 * Zitadel v2.71.18 `internal/api/oidc/userinfo.go` `UserInfo`, zitadel/oidc v3.36.1
 * `pkg/op/server_http.go` `userInfoHandler` and `pkg/op/userinfo.go` `getAccessToken`:
 * no token → 401 `invalid_request` "access token missing"; a bad one → 401 `access_denied`
 * "access token invalid"; a token of a user that no longer exists → 401 `access_denied` "no active
 * user". No `WWW-Authenticate` header. Profile and email claims follow the token's scopes; roles
 * follow the client's project (a service user's "client" is its username, which names no app).
 */
import { assertedRoles, NO_PROJECT_ROLE_CONTEXT, profileClaims, serviceUserProfile, userRoleContext, type Realm } from './claims.ts';
import { json, oauthError } from './http.ts';
import type { ServiceUser } from './jwt-bearer.ts';
import { splitScope } from './scopes.ts';
import type { TokenService } from './tokens.ts';
import type { DevIdpUser } from './types.ts';

export interface UserinfoDeps {
  realm: Realm;
  tokens: TokenService;
  users: DevIdpUser[];
  serviceUser: ServiceUser;
}

/** `Authorization: Bearer <token>`, split like getAccessToken does (case-sensitive "Bearer "). */
function bearer(req: Request): string | undefined {
  const parts = (req.headers.get('authorization') ?? '').split('Bearer ');
  return parts.length === 2 && parts[1] !== '' ? parts[1] : undefined;
}

export async function userinfo(req: Request, d: UserinfoDeps): Promise<Response> {
  const token = bearer(req);
  if (!token) return oauthError(401, 'invalid_request', 'access token missing');
  const record = await d.tokens.resolve(token);
  if (!record) return oauthError(401, 'access_denied', 'access token invalid');

  const scopes = splitScope(record.scope);
  // GetOIDCUserinfoClientByID(token.clientID): our two apps belong to the project, which asserts roles.
  const ownApp = record.clientId === d.realm.clientId || record.clientId === d.realm.apiClientId;
  const context = ownApp ? userRoleContext(d.realm) : NO_PROJECT_ROLE_CONTEXT;

  const user = d.users.find((u) => u.sub === record.sub);
  if (user) return json({ ...profileClaims(user, scopes), ...assertedRoles(user.roles, d.realm, scopes, context) });
  if (record.sub === d.serviceUser.userId) {
    const su = d.serviceUser;
    return json({ ...serviceUserProfile(su, scopes), ...assertedRoles(su.roles, d.realm, scopes, context) });
  }
  return oauthError(401, 'access_denied', 'no active user');
}
