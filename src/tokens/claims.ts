/**
 * The claim rules of a JWT access token, all in one place. {@link checkClaims} returns the
 * reason of the first rule broken, or undefined when the claims are acceptable. It runs only
 * after the signature held: unauthenticated claims never decide anything.
 *
 * Times are NumericDate seconds (RFC 7519 §2); `now` is floored to whole seconds like the IdP's.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1 (registered claims)
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4 (validating JWT access tokens)
 */
import type { RejectionReason } from '../errors.ts';

/** Claims of a verified token. */
export type ClaimsSet = Record<string, unknown>;

/**
 * Decides whether the token is meant for us. `aud` is the token's `aud` as a list (a single
 * string becomes a one-element list, RFC 7519 §4.1.3); `claims` lets a policy look at more, e.g.
 * "our own service user, recognised by `sub`". Must be pure and fast: it runs on every miss.
 */
export type AudiencePolicy = (aud: readonly string[], claims: ClaimsSet) => boolean;

/** Accepts a token whose `aud` contains at least one of `accepted`. */
export function anyOf(accepted: readonly string[]): AudiencePolicy {
  const set = new Set(accepted);
  return (aud) => {
    for (const a of aud) if (set.has(a)) return true;
    return false;
  };
}

/**
 * The longest lifetime accepted by default: `exp` at most this far after now (plus tolerance).
 * Zitadel caps no token lifetime (its OIDC settings only refuse a zero duration:
 * `internal/command/instance_oidc_settings.go`, prepareAddOIDCSettings / prepareUpdateOIDCSettings),
 * and its default access-token lifetime is 12 h (`cmd/defaults.yaml` DefaultAccessTokenLifetime).
 * One year and a day refuses only the absurd (an `exp` of 1e308, a token "valid" for decades)
 * without second-guessing a deployment's settings.
 */
export const DEFAULT_MAX_LIFETIME_SEC = 366 * 24 * 3600;

/** What {@link checkClaims} compares against. */
export interface ClaimRules {
  /** Expected `iss`, compared exactly. */
  readonly issuer: string;
  /** Undefined: `aud` is not checked. */
  readonly audience: AudiencePolicy | undefined;
  /** Leeway for exp, nbf and iat, in seconds. */
  readonly clockToleranceSec: number;
  /** Longest accepted distance of `exp` from now, in seconds. */
  readonly maxLifetimeSec: number;
}

/**
 * Applies the claim rules at `nowSec`:
 * - `iss` equals the issuer exactly (RFC 7519 §4.1.1; RFC 9068 §4 step 3; OIDC Core §3.1.3.7).
 * - `exp` is required (RFC 9068 §2.2) and a finite number (RFC 7519 §2 NumericDate); the token is
 *   expired when `exp <= now - tolerance` (RFC 7519 §4.1.4: "on or after").
 * - `exp` at most `maxLifetimeSec` (+ tolerance) ahead: bounds absurd values (see
 *   {@link DEFAULT_MAX_LIFETIME_SEC}); cached results live until `exp`.
 * - `nbf`, when present, a finite number not after `now + tolerance` (RFC 7519 §4.1.5).
 * - `iat`, when present, a finite number not after `now + tolerance`: a token cannot have been
 *   issued in the future (RFC 7519 §4.1.6 gives no rule; this is ours, as jose's maxTokenAge has).
 * - `sub` and `jti`, when present, are strings (RFC 7519 §4.1.2, §4.1.7).
 * - `aud`, when present, is a string or an array of strings (RFC 7519 §4.1.3); with a policy it
 *   must be present and accepted by the policy (RFC 9068 §4 step 4).
 * - no `nonce`, `at_hash` or `c_hash`: the token is an ID token, not an access token (RFC 8725
 *   §2.8, cross-JWT confusion). Zitadel signs both with `typ: JWT` and the same audience, so the
 *   header cannot tell them apart; ID tokens carry these claims (`at_hash` whenever issued with an
 *   access token: internal/api/oidc/token.go createIDToken), access tokens never do
 *   (zitadel/oidc pkg/oidc/token.go NewAccessTokenClaims; createJWT adds only userinfo claims).
 * So a set that passes has the registered claims' types that jose's `JWTPayload` declares.
 */
export function checkClaims(claims: ClaimsSet, rules: ClaimRules, nowSec: number): RejectionReason | undefined {
  if (claims.iss !== rules.issuer) return 'issuer';
  if (claims.nonce !== undefined || claims.at_hash !== undefined || claims.c_hash !== undefined) return 'type';

  const tolerance = rules.clockToleranceSec;
  const exp = claims.exp;
  if (exp === undefined) return 'no_expiry';
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'malformed';
  if (exp <= nowSec - tolerance) return 'expired';
  if (exp > nowSec + rules.maxLifetimeSec + tolerance) return 'lifetime';

  const nbf = claims.nbf;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) return 'malformed';
    if (nbf > nowSec + tolerance) return 'not_yet_valid';
  }
  const iat = claims.iat;
  if (iat !== undefined) {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return 'malformed';
    if (iat > nowSec + tolerance) return 'issued_in_future';
  }

  if (claims.sub !== undefined && typeof claims.sub !== 'string') return 'malformed';
  if (claims.jti !== undefined && typeof claims.jti !== 'string') return 'malformed';

  const aud = claims.aud;
  if (aud !== undefined && typeof aud !== 'string' && !isStringArray(aud)) return 'malformed';
  if (rules.audience !== undefined && (aud === undefined || !rules.audience(typeof aud === 'string' ? [aud] : aud, claims))) return 'audience';
  return undefined;
}

function isStringArray(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (const a of v) if (typeof a !== 'string') return false;
  return true;
}
