/**
 * Zitadel's claim shapes, in one place, so the provider's own tokens, the jwt-bearer grant, the test
 * minting helpers, userinfo and introspection can never drift apart.
 */
import type { DevIdpUser } from './types.ts';

/** What claim builders need to know about the (single) organisation and project. */
export interface Realm {
  issuer: string;
  projectId: string;
  orgId: string;
  orgDomain: string;
  /** The user-agent (SPA) app. */
  clientId: string;
  /** The API app that introspects; part of the same project. */
  apiClientId: string;
}

export const ROLES_CLAIM = 'urn:zitadel:iam:org:project:roles';
export const projectRolesClaim = (projectId: string) => `urn:zitadel:iam:org:project:${projectId}:roles`;
export const projectAudScope = (projectId: string) => `urn:zitadel:iam:org:project:id:${projectId}:aud`;

/** `{ role: { orgId: orgDomain } }` — Zitadel's object map, not an array. */
export function rolesMap(roles: readonly string[], realm: Realm): Record<string, Record<string, string>> {
  return Object.fromEntries(roles.map((role) => [role, { [realm.orgId]: realm.orgDomain }]));
}

/** Both role claims for users; service users only get the per-project one (see zitadel.md). */
export function roleClaims(roles: readonly string[], realm: Realm, opts: { generic: boolean }): Record<string, unknown> {
  const map = rolesMap(roles, realm);
  return opts.generic ? { [ROLES_CLAIM]: map, [projectRolesClaim(realm.projectId)]: map } : { [projectRolesClaim(realm.projectId)]: map };
}

/**
 * A user's access token names every app of the project plus the project id, as Zitadel does. Our
 * project has two apps (the SPA and the introspecting API app), so introspection by the API app works.
 */
export function userAudience(realm: Realm): string[] {
  return [realm.clientId, realm.apiClientId, realm.projectId];
}

/** The full claim set of a user's JWT access token (no `scope`: Zitadel leaves it out). */
export function userAccessClaims(
  user: DevIdpUser,
  realm: Realm,
  t: { iat: number; exp: number; jti: string },
): Record<string, unknown> {
  return {
    iss: realm.issuer,
    sub: user.sub,
    aud: userAudience(realm),
    client_id: realm.clientId,
    exp: t.exp,
    iat: t.iat,
    nbf: t.iat,
    jti: t.jti,
    ...roleClaims(user.roles, realm, { generic: true }),
  };
}

/** Standard profile claims as Zitadel's userinfo returns them. */
export function profileClaims(user: DevIdpUser): Record<string, unknown> {
  const [first, ...rest] = user.name.split(' ');
  return {
    sub: user.sub,
    name: user.name,
    given_name: user.givenName ?? first ?? user.name,
    family_name: user.familyName ?? (rest.join(' ') || user.name),
    preferred_username: user.username,
    email: user.email,
    email_verified: true,
  };
}
