/**
 * The token check both routes share, framework and native: bearer token → positive cache →
 * validator → requirements, handing the outcome to a continuation. A continuation rather than a
 * returned result: a cache hit then costs no promise and no result object, and the answer knows
 * whether the claims came from the cache (only cached claims get their serializations memoized).
 */
import { InvalidToken } from '../../errors.ts';
import { isJwtShaped, isOpaqueShaped, type JwtShaped, type OpaqueShaped } from '../../tokens/format.ts';
import type { Claims } from '../../tokens/introspection.ts';
import { checkRequirements } from '../../tokens/requirements.ts';
import { malformedBearer, splitBearer } from '../bearer.ts';
import { hasRequirements, type Requirements } from './query.ts';

/** The validator as the check sees it (tokens/lazy-validator.ts). */
export interface Validator {
  /** Synchronous cache peek (the hot path: no promise for a repeated token). */
  cached(token: string): Claims | undefined;
  /** A JWT-shaped token: synchronous unless a JWKS fetch is needed first. */
  validateJwt(token: JwtShaped): Claims | Promise<Claims>;
  /** A b64token-shaped (opaque) token: introspection. */
  validateOpaque(token: OpaqueShaped): Promise<Claims>;
}

/** What the answer does with the claims: `cached` is true when they came from the cache. */
export type OnClaims = (claims: Claims, cached: boolean) => Response;
export type OnFailure = (error: unknown) => Response;

export interface TokenCheck {
  /**
   * Checks the `Authorization` header's bearer token against `q` and answers through `ok` or
   * `fail` (which also sees thrown errors): synchronously on a cache hit, else once validated.
   */
  run(authorization: string | null, q: Requirements, ok: OnClaims, fail: OnFailure): Response | Promise<Response>;
}

export function createTokenCheck(deps: {
  validator: Validator;
  /** Told about every rejected token (metrics: `zitauth_validate_rejections_total{reason}`). */
  onRejected?: (error: InvalidToken) => void;
}): TokenCheck {
  const { validator, onRejected } = deps;
  const failWith = (fail: OnFailure) => (e: unknown) => {
    if (onRejected !== undefined && e instanceof InvalidToken) onRejected(e);
    return fail(e);
  };
  return {
    run(authorization, q, ok, fail) {
      let token: string;
      try {
        token = splitBearer(authorization);
        const hit = validator.cached(token);
        if (hit !== undefined) {
          if (hasRequirements(q)) checkRequirements(hit, { roles: q.role, scopes: q.scope, audiences: q.aud });
          return ok(hit, true);
        }
      } catch (e) {
        return failWith(fail)(e);
      }
      // Only a miss needs the charset check: cached tokens passed it when they were validated.
      // The shape guards brand the token for the validator (RFC 6750 b64token, else 400).
      const jwt = isJwtShaped(token);
      if (!jwt && !isOpaqueShaped(token)) return fail(malformedBearer());
      const accept = (claims: Claims): Response => {
        if (hasRequirements(q)) checkRequirements(claims, { roles: q.role, scopes: q.scope, audiences: q.aud });
        return ok(claims, false);
      };
      const onError = failWith(fail);
      const settle = (claims: Claims): Response => {
        try {
          return accept(claims);
        } catch (e) {
          return onError(e);
        }
      };
      try {
        const claims = jwt ? validator.validateJwt(token as JwtShaped) : validator.validateOpaque(token as OpaqueShaped);
        // One promise per miss that needs the IdP or a key fetch; none when verification is synchronous.
        return claims instanceof Promise ? claims.then(settle, onError) : settle(claims);
      } catch (e) {
        return onError(e);
      }
    },
  };
}
