/**
 * Zitadel's claim shapes, in one place, so the provider's own tokens, the jwt-bearer grant, the test
 * minting helpers, userinfo and introspection can never drift apart.
 *
 * Sources: zitadel v2.71.18 `internal/api/oidc/userinfo.go` (`userInfo`, `prepareRoles`,
 * `assertRoles`, `setUserInfoRoleClaims`, `userInfoToOIDC`), `internal/api/oidc/client.go`
 * (`newProjectRoles`), `internal/api/oidc/token.go` (`createIDToken`, `createJWT`), zitadel/oidc
 * v3.36.1 `pkg/oidc/token.go` (`NewIDTokenClaims`, `NewAccessTokenClaims`). Unchanged in v4.13.1.
 */
import { createHash } from 'node:crypto';
import { audScopeProjects, PROJECTS_ROLES_SCOPE, requestedRoleKeys } from './scopes.ts';
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

/** `{ role: { orgId: orgDomain } }` — Zitadel's object map, not an array. */
export function rolesMap(roles: readonly string[], realm: Realm): Record<string, Record<string, string>> {
  return Object.fromEntries(roles.map((role) => [role, { [realm.orgId]: realm.orgDomain }]));
}

/** The client context of a role assertion (the arguments of Zitadel's `userInfo`). */
export interface RoleContext {
  /** Project of the client the claims are for; '' for a service user's JWT-profile "client". */
  projectId: string;
  /** The project's "assert roles on authentication" setting. */
  projectRoleAssertion: boolean;
  /** Introspection: only the introspecting API's project counts, audience scopes are ignored. */
  currentProjectOnly: boolean;
}

/**
 * The role claims Zitadel adds for a subject whose grants (`roles`) are in `realm.projectId`.
 *
 * - Roles are asserted for a "role audience": the audience-scope projects when roles are asked for
 *   (`urn:zitadel:iam:org:projects:roles` or `…:project:role:{key}`), plus the client's own project
 *   when it asserts roles, roles were asked for, or this is introspection.
 * - Asked-for role keys filter the grants; no grant → no claim at all.
 * - The generic `urn:zitadel:iam:org:project:roles` only appears for the client's own project; the
 *   per-project `…:project:{id}:roles` for every project with roles. A service user (client project
 *   '') therefore gets roles only with the audience scope and a roles scope, and only per project.
 */
export function assertedRoles(roles: readonly string[], realm: Realm, scopes: readonly string[], c: RoleContext): Record<string, unknown> {
  const requested = requestedRoleKeys(scopes);
  let audience: string[] = [];
  if (!c.currentProjectOnly && (requested.length > 0 || scopes.includes(PROJECTS_ROLES_SCOPE))) audience = audScopeProjects(scopes);
  if ((c.projectRoleAssertion || c.currentProjectOnly || audience.length > 0 || requested.length > 0) && c.projectId !== '' && !audience.includes(c.projectId)) {
    audience = [...audience, c.projectId];
  }
  if (!((c.projectId !== '' && requested.length > 0) || audience.length > 0)) return {};
  // The query only returns grants of projects in the role audience; ours are all in realm.projectId.
  if (!audience.includes(realm.projectId)) return {};
  const granted = requested.length > 0 ? requested.filter((r) => roles.includes(r)) : [...roles];
  if (granted.length === 0) return {};
  const map = rolesMap([...new Set(granted)], realm);
  return {
    ...(realm.projectId === c.projectId ? { [ROLES_CLAIM]: map } : {}),
    [projectRolesClaim(realm.projectId)]: map,
  };
}

/** How the dev IdP's own project is set up: roles asserted on authentication (as `zitauth provision` does). */
export const userRoleContext = (realm: Realm): RoleContext => ({ projectId: realm.projectId, projectRoleAssertion: true, currentProjectOnly: false });

/** A client outside the project, e.g. a service user's JWT-profile "client": no project, no role assertion. */
export const NO_PROJECT_ROLE_CONTEXT: RoleContext = { projectId: '', projectRoleAssertion: false, currentProjectOnly: false };

/**
 * A user's access token names every app of the project plus the project id (and any project of an
 * audience scope), as Zitadel does (`audienceFromProjectID` + `AddAudScopeToAudience` in
 * `internal/api/oidc/auth_request.go`). Our project has two apps, the SPA and the introspecting API app.
 */
export function userAudience(realm: Realm, scopes: readonly string[] = []): string[] {
  return [...new Set([realm.clientId, realm.apiClientId, realm.projectId, ...audScopeProjects(scopes)])];
}

/** The full claim set of a user's JWT access token (no `scope`, no profile: Zitadel leaves them out). */
export function userAccessClaims(
  user: DevIdpUser,
  realm: Realm,
  t: { iat: number; exp: number; jti: string },
  scopes: readonly string[] = [],
): Record<string, unknown> {
  return {
    iss: realm.issuer,
    sub: user.sub,
    aud: userAudience(realm, scopes),
    client_id: realm.clientId,
    exp: t.exp,
    iat: t.iat,
    nbf: t.iat,
    jti: t.jti,
    ...assertedRoles(user.roles, realm, scopes, userRoleContext(realm)),
  };
}

/** Profile claims by scope (`profile`, `email`), as Zitadel's userinfo, ID token and introspection return them. */
export function profileClaims(user: DevIdpUser, scopes: readonly string[] = ['profile', 'email']): Record<string, unknown> {
  const [first, ...rest] = user.name.split(' ');
  return {
    sub: user.sub,
    ...(scopes.includes('profile')
      ? {
          name: user.name,
          given_name: user.givenName ?? first ?? user.name,
          family_name: user.familyName ?? (rest.join(' ') || user.name),
          preferred_username: user.username,
        }
      : {}),
    ...(scopes.includes('email') ? { email: user.email, email_verified: true } : {}),
  };
}

/** A service user's profile claims by scope, as userinfo and introspection return them: its username as both names. */
export function serviceUserProfile(su: { userId: string; username: string }, scopes: readonly string[]): Record<string, unknown> {
  return {
    sub: su.userId,
    ...(scopes.includes('profile') ? { name: su.username, preferred_username: su.username } : {}),
  };
}

/**
 * `at_hash` (OIDC Core §3.1.3.6): left half of the SHA-256 of the access token, base64url — what
 * zitadel/oidc `ClaimHash` computes for RS256.
 */
export const accessTokenHash = (accessToken: string) => createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');

/**
 * A user's ID token from the login flow (code or refresh grant). The app is provisioned with
 * "user info inside ID token" and "roles inside ID token" on; `aud` is the session audience plus the
 * client (`AppendClientIDToAudience`), `azp` and `client_id` the client, `sid` the login session.
 */
export function userIdTokenClaims(
  user: DevIdpUser,
  realm: Realm,
  t: { iat: number; exp: number; authTime: number; nonce?: string; sid: string; accessToken?: string; scopes: readonly string[] },
): Record<string, unknown> {
  return {
    iss: realm.issuer,
    ...profileClaims(user, t.scopes),
    aud: userAudience(realm, t.scopes),
    exp: t.exp,
    iat: t.iat,
    auth_time: t.authTime,
    ...(t.nonce ? { nonce: t.nonce } : {}),
    amr: ['pwd'],
    azp: realm.clientId,
    client_id: realm.clientId,
    ...(t.accessToken ? { at_hash: accessTokenHash(t.accessToken) } : {}),
    sid: t.sid,
    ...assertedRoles(user.roles, realm, t.scopes, userRoleContext(realm)),
  };
}
