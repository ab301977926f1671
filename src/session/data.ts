/**
 * What a session holds (encrypted at rest, see cipher.ts) and what of it leaves the gateway.
 */
import { flattenRoles } from '../tokens/requirements.ts';
import type { Claims } from '../tokens/introspection.ts';

export interface SessionData {
  v: 1;
  sub: string;
  /** The IdP session (`sid` of the ID token), the handle of OIDC back-channel logout. */
  sid?: string | undefined;
  createdAt: number;
  /** Epoch ms after which the session ends however active (ZITAUTH_SESSION_MAX_SEC). */
  absoluteExpiresAt: number;
  accessToken: string;
  /** Epoch ms; the access token is refreshed `refreshSkewSec` before. */
  accessExpiresAt: number;
  refreshToken?: string | undefined;
  idToken?: string | undefined;
  /** The validated access token's claims, with the ID token's profile claims filled in. */
  claims: Claims;
  /** Incremented by every refresh: a reader sees whether another request refreshed meanwhile. */
  generation: number;
}

/** GET /api/v1/session's answer for a live session: who, and until when — never a token. */
export interface SessionView {
  authenticated: true;
  sub: string;
  name?: string | undefined;
  preferred_username?: string | undefined;
  email?: string | undefined;
  roles: string[];
  /** Epoch seconds when the session ends at the latest (idle timeout or absolute lifetime). */
  expires_at: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function viewOf(data: SessionData, expiresAt: number): SessionView {
  const c = data.claims;
  return {
    authenticated: true,
    sub: data.sub,
    name: str(c.name),
    preferred_username: str(c.preferred_username),
    email: str(c.email),
    roles: flattenRoles(c),
    expires_at: Math.floor(expiresAt / 1000),
  };
}

/**
 * When a freshly issued access token expires, epoch ms: the token response's `expires_in`, else
 * the token's own `exp` (when it could be validated here), else in 5 minutes.
 */
export function accessExpiresAt(expiresIn: number | undefined, accessClaims: Claims | undefined, now: number): number {
  if (expiresIn !== undefined) return now + expiresIn * 1000;
  return typeof accessClaims?.exp === 'number' ? accessClaims.exp * 1000 : now + 300_000;
}

/** Profile claims the ID token adds to the access token's claims (when the latter lack them). */
const PROFILE = ['name', 'given_name', 'family_name', 'preferred_username', 'email', 'email_verified', 'locale'];

export function mergeClaims(access: Claims | undefined, idToken: Readonly<Record<string, unknown>> | undefined): Claims {
  const out: Record<string, unknown> = { ...(access ?? {}) };
  if (idToken !== undefined) {
    if (out.sub === undefined) out.sub = idToken.sub;
    for (const k of PROFILE) if (out[k] === undefined && idToken[k] !== undefined) out[k] = idToken[k];
    // Zitadel puts roles into the ID token when the app asks for them: keep them if the access
    // token (opaque without introspection) could not tell.
    for (const [k, v] of Object.entries(idToken)) if (k.startsWith('urn:zitadel:iam:org:project:') && out[k] === undefined) out[k] = v;
  }
  return Object.freeze(out) as Claims;
}
