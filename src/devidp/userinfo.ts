/**
 * `/oidc/v1/userinfo`, answered in front of oidc-provider because its endpoint rejects JWT access
 * tokens issued for a resource server; Zitadel accepts both JWT and opaque tokens here.
 */
import { profileClaims, roleClaims, type Realm } from './claims.ts';
import { json, oauthError } from './http.ts';
import type { ServiceUser } from './jwt-bearer.ts';
import type { TokenService } from './tokens.ts';
import type { DevIdpUser } from './types.ts';

export interface UserinfoDeps {
  realm: Realm;
  tokens: TokenService;
  users: DevIdpUser[];
  serviceUser: ServiceUser;
}

/** Zitadel's answer to a bad token. */
const denied = () =>
  oauthError(401, 'access_denied', 'access token invalid', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });

export async function userinfo(req: Request, d: UserinfoDeps): Promise<Response> {
  const auth = req.headers.get('authorization');
  const token = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return denied();
  const record = await d.tokens.resolve(token);
  if (!record) return denied();

  const user = d.users.find((u) => u.sub === record.sub);
  if (user) return json({ ...profileClaims(user), ...roleClaims(user.roles, d.realm, { generic: true }) });
  if (record.sub === d.serviceUser.userId) {
    const su = d.serviceUser;
    return json({ sub: su.userId, name: su.username, preferred_username: su.username, ...record.claims });
  }
  return denied();
}
