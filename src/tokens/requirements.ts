/**
 * Authorization checks on validated claims: Zitadel project roles, OAuth scopes and audiences.
 *
 * Semantics of {@link checkRequirements}:
 * - `roles`: ANY listed role suffices (roles are alternatives, e.g. `admin` or `editor`);
 * - `scopes`: ALL listed scopes are required (RFC 6750 §3.1: a scope is a capability you need);
 * - `audiences`: ANY listed audience in the token's `aud` suffices.
 * An empty or absent list imposes nothing.
 */
import { InsufficientScope } from '../errors.ts';
import type { Claims } from './introspection.ts';

const ROLES_CLAIM = 'urn:zitadel:iam:org:project:roles';
const PROJECT_ROLES = /^urn:zitadel:iam:org:project:[^:]+:roles$/;

/**
 * All role keys in `claims`, deduplicated: from `urn:zitadel:iam:org:project:roles` and every
 * per-project `urn:zitadel:iam:org:project:{projectId}:roles`. Zitadel sends these as maps
 * `{ "<role>": { "<orgId>": "<orgDomain>" } }`, not arrays; anything else is ignored.
 */
export function flattenRoles(claims: Claims): string[] {
  const roles = new Set<string>();
  for (const name in claims) {
    if (name !== ROLES_CLAIM && !PROJECT_ROLES.test(name)) continue;
    const map = claims[name];
    if (typeof map !== 'object' || map === null || Array.isArray(map)) continue;
    for (const role of Object.keys(map)) roles.add(role);
  }
  return [...roles];
}

/**
 * The token's scopes: the space-separated `scope` claim (introspection, RFC 8693) or the `scp`
 * array some providers use; empty when absent. Zitadel JWT access tokens carry no scope claim.
 */
export function scopesOf(claims: Claims): string[] {
  const scope = claims.scope;
  if (typeof scope === 'string') return scope.split(' ').filter((s) => s.length > 0);
  const scp = claims.scp;
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  if (typeof scp === 'string') return scp.split(' ').filter((s) => s.length > 0);
  return [];
}

/** What a route demands of a token. See the module comment for the ANY/ALL semantics. */
export interface Requirements {
  /** Any one of these roles is enough. */
  roles?: string[];
  /** Every one of these scopes is needed. */
  scopes?: string[];
  /** Any one of these in `aud` is enough. */
  audiences?: string[];
}

/** Which kind of requirement a token failed. */
export type UnmetRequirement = 'role' | 'scope' | 'audience';

/**
 * Throws {@link InsufficientScope} saying which kinds of requirement are unmet when `claims` do
 * not meet `req`. Roles: ANY of the listed; scopes: ALL of the listed; audiences: ANY of the
 * listed. The description names the kinds only, never the values: they come from the request
 * (a query string) and would otherwise be echoed into the body and `WWW-Authenticate`.
 */
export function checkRequirements(claims: Claims, req: Requirements): void {
  const unmet: UnmetRequirement[] = [];
  if (req.roles !== undefined && req.roles.length > 0) {
    const have = flattenRoles(claims);
    if (!req.roles.some((r) => have.includes(r))) unmet.push('role');
  }
  if (req.scopes !== undefined && req.scopes.length > 0) {
    const have = scopesOf(claims);
    if (!req.scopes.every((s) => have.includes(s))) unmet.push('scope');
  }
  if (req.audiences !== undefined && req.audiences.length > 0) {
    const aud = claims.aud;
    const have = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!req.audiences.some((a) => have.includes(a))) unmet.push('audience');
  }
  if (unmet.length > 0) throw new InsufficientScope(unmet);
}
