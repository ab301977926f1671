/**
 * The claim half of zitadel/oidc v3.36.1 `op.VerifyJWTAssertion` (`pkg/op/verifier_jwt_profile.go`,
 * `pkg/oidc/verifier.go`), shared by the JWT profile grant (a service user's assertion) and
 * introspection's private_key_jwt client authentication (the API app's assertion). The signature
 * and key checks (`kid`, `alg`, whose key) stay with each caller.
 */
import { audList } from './http.ts';

/** Claims of the assertion, or undefined when it is not a JWT with a JSON object payload (`oidc.ParseToken`). */
export function parseJwtClaims(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The claim checks of `op.VerifyJWTAssertion`, in its order: `aud` contains the issuer exactly,
 * `exp` after now + 1 s, `iat` present, not after now + 1 s, not older than 1 h, `iss == sub`.
 * No `jti` check. `now` in seconds (not rounded).
 */
export function assertionClaimsValid(claims: Record<string, unknown>, issuer: string, now: number): boolean {
  if (!audList(claims.aud).includes(issuer)) return false;
  if (typeof claims.exp !== 'number' || !(now + 1 < claims.exp)) return false;
  if (typeof claims.iat !== 'number' || claims.iat === 0) return false;
  if (claims.iat > Math.round(now + 1) || claims.iat < Math.round(now - 3600)) return false;
  return claims.iss === claims.sub;
}
