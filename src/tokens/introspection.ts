/**
 * RFC 7662 introspection results, normalized to the claims shape /validate returns for JWTs.
 * The HTTP exchange itself lives in `src/idp/` (the only oauth4webapi importer); this module only
 * interprets its JSON.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
import type { JWTPayload } from 'jose';
import { IdpBadResponse, InvalidToken } from '../errors.ts';

/** Claims of a validated token, JWT or introspected. Treat as read-only: results are cached. */
export type Claims = JWTPayload;

/** A raw RFC 7662 introspection response (Zitadel adds its own claims, e.g. role maps). */
export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  jti?: string;
  [claim: string]: unknown;
}

// Metadata about the introspection answer, not claims of the token; a JWT never carries them.
const NOT_CLAIMS = new Set(['active', 'token_type']);

/**
 * Turns an introspection response into {@link Claims}: every member except `active` and
 * `token_type` is kept as given (`aud` stays a string or an array, as the IdP sent it).
 *
 * @throws InvalidToken `inactive` when `active` is not `true`
 * @throws IdpBadResponse when the body is not an object or a registered claim has the wrong type
 */
export function normalizeIntrospection(json: unknown): Claims {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new IdpBadResponse('identity provider sent an invalid introspection response', { detail: 'body is not a JSON object' });
  }
  const body = json as Record<string, unknown>;
  // RFC 7662 §2.2: anything but a literal true is inactive.
  if (body.active !== true) throw new InvalidToken('inactive');
  const claims: Record<string, unknown> = {};
  for (const key in body) {
    if (!NOT_CLAIMS.has(key) && Object.hasOwn(body, key)) claims[key] = body[key];
  }
  for (const name of ['exp', 'iat', 'nbf'] as const) {
    const v = claims[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) bad(`${name} is not a number`);
  }
  for (const name of ['sub', 'iss', 'jti', 'client_id', 'scope', 'username'] as const) {
    const v = claims[name];
    if (v !== undefined && typeof v !== 'string') bad(`${name} is not a string`);
  }
  const aud = claims.aud;
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    bad('aud is neither a string nor an array of strings');
  }
  return claims as Claims;
}

function bad(detail: string): never {
  throw new IdpBadResponse('identity provider sent an invalid introspection response', { detail });
}
