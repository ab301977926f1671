/**
 * Zitadel's reserved scopes and how it reads them, in one place.
 *
 * Sources (zitadel v2.71.18, unchanged in v4.13.1): `internal/domain/request.go` and
 * `internal/api/oidc/client.go` (the constants), `internal/api/oidc/client_converter.go`
 * `isScopeAllowed` (which `urn:zitadel:iam:` scopes survive), `internal/domain/token.go`
 * `AddAudScopeToAudience` (project audience scopes), zitadel/oidc v3.36.1 `pkg/op/auth_request.go`
 * `ValidateAuthReqScopes` (the standard scopes always allowed; everything else dropped silently).
 */

export const PROJECT_ID_SCOPE = 'urn:zitadel:iam:org:project:id:';
export const AUD_SUFFIX = ':aud';
export const PROJECTS_ROLES_SCOPE = 'urn:zitadel:iam:org:projects:roles';
export const PROJECT_ROLE_PREFIX = 'urn:zitadel:iam:org:project:role:';
export const RESOURCE_OWNER_SCOPE = 'urn:zitadel:iam:user:resourceowner';
export const METADATA_SCOPE = 'urn:zitadel:iam:user:metadata';

const STANDARD = new Set(['openid', 'profile', 'email', 'phone', 'address', 'offline_access']);
const ALLOWED_PREFIXES = [
  'urn:zitadel:iam:org:domain:primary:',
  'urn:zitadel:iam:org:id:',
  PROJECT_ID_SCOPE,
  'urn:zitadel:iam:org:idp:id:',
  'urn:zitadel:iam:org:roles:id:',
  PROJECT_ROLE_PREFIX,
];
const ALLOWED_EXACT = new Set([METADATA_SCOPE, RESOURCE_OWNER_SCOPE, PROJECTS_ROLES_SCOPE]);

/** The project audience scope: puts `projectId` into a token's `aud`. */
export const projectAudScope = (projectId: string) => `${PROJECT_ID_SCOPE}${projectId}${AUD_SUFFIX}`;

/** Splits a space-delimited scope parameter (empty entries dropped). */
export const splitScope = (scope: string | null | undefined): string[] => (scope ?? '').split(' ').filter(Boolean);

/** Whether Zitadel keeps a requested scope (standard OIDC or one of its reserved ones). */
export function isAllowedScope(scope: string): boolean {
  return STANDARD.has(scope) || ALLOWED_EXACT.has(scope) || ALLOWED_PREFIXES.some((p) => scope.startsWith(p));
}

/** The requested scopes Zitadel grants, in request order, without duplicates. */
export function allowedScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes.filter(isAllowedScope))];
}

/** Project ids named by `urn:zitadel:iam:org:project:id:{id}:aud` scopes (AddAudScopeToAudience). */
export function audScopeProjects(scopes: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of scopes) {
    if (!s.startsWith(PROJECT_ID_SCOPE) || !s.endsWith(AUD_SUFFIX)) continue;
    const id = s.slice(PROJECT_ID_SCOPE.length, -AUD_SUFFIX.length);
    if (id !== '' && !out.includes(id)) out.push(id);
  }
  return out;
}

/** Role keys asked for with `urn:zitadel:iam:org:project:role:{key}`. */
export function requestedRoleKeys(scopes: readonly string[]): string[] {
  return scopes.filter((s) => s.startsWith(PROJECT_ROLE_PREFIX)).map((s) => s.slice(PROJECT_ROLE_PREFIX.length));
}
