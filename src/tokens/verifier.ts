/**
 * JWT access-token verification: jose `jwtVerify` with a strict algorithm allow-list, exact issuer,
 * optional audience pinning and an injected clock. Every failure leaves as an {@link InvalidToken}
 * with a short, fixed description (mapped from jose's error `code`, never from message text), or as
 * a 5xx IdP error from the JWKS cache.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2
 * @see https://www.rfc-editor.org/rfc/rfc8725 (JWT best current practices)
 */
import { jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { InvalidToken, ZitAuthError } from '../errors.ts';
import { DEFAULT_MAX_TOKEN_LENGTH, isJwtShaped } from './format.ts';
import { markTransient } from './failures.ts';
import type { JwksCache, KeyResolver } from './jwks.ts';

export { isPermanentFailure } from './failures.ts';

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  /** Expected `iss`, compared exactly (Zitadel: the instance URL, no trailing slash). */
  issuer: string;
  /**
   * When a non-empty list, the token's `aud` must contain at least one of these; when a function,
   * it decides on the token's `aud` list and claims (see tokens/audience.ts).
   */
  audience?: string[] | ((aud: string[], claims: JWTPayload) => boolean);
  /** Accepted JWS algorithms. `none` and every `HS*` are dropped even if listed. */
  algorithms: string[];
  /** Leeway for `exp`/`nbf`, in seconds. */
  clockToleranceSec: number;
  jwks: JwksCache;
  /** Longest accepted token. Default 8192. */
  maxTokenLength?: number;
  /**
   * Accepted header `typ` values, compared case-insensitively with an optional `application/`
   * prefix (RFC 7515 §4.1.9). A token without `typ` is accepted. Default `['JWT', 'at+jwt']`:
   * Zitadel sends `JWT`, RFC 9068 providers `at+jwt`.
   */
  types?: string[];
  /** Clock in epoch milliseconds (injected for tests). */
  now?: () => number;
}

/** A configured JWT verifier. */
export interface JwtVerifier {
  /**
   * Verifies `token` and returns its claims, or rejects with a ZitAuthError (never a jose error).
   * `shapeChecked`: the caller has already matched `token` against the JWT shape (see
   * `tokenShape`), so the ~1 KB scan is not repeated.
   */
  verify(token: string, shapeChecked?: boolean): Promise<JWTPayload>;
  /** The JWKS cache's {@link JwksCache.keyEpoch}: results cached under an older epoch are stale. */
  readonly keyEpoch: number;
}

/** Builds a {@link JwtVerifier}. Throws a TypeError when no usable algorithm remains. */
export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  // Symmetric algorithms would let anyone holding the (public) JWKS forge tokens via key confusion.
  const algorithms = opts.algorithms.filter((alg) => alg !== 'none' && !/^HS/i.test(alg));
  if (algorithms.length === 0) throw new TypeError('createJwtVerifier: no asymmetric algorithm allowed');
  const audienceCheck = typeof opts.audience === 'function' ? opts.audience : undefined;
  const audience = Array.isArray(opts.audience) && opts.audience.length > 0 ? [...opts.audience] : undefined;
  const maxLength = opts.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const now = opts.now;
  const jwks = opts.jwks;
  const types = new Set((opts.types ?? ['JWT', 'at+jwt']).map(normalizeTyp));

  // The typ check sits in the key resolver so a wrong-typed token is refused before any crypto.
  const resolver: KeyResolver = (header, token) => {
    const typ = header.typ;
    if (typ !== undefined && (typeof typ !== 'string' || !types.has(normalizeTyp(typ)))) {
      return Promise.reject(new InvalidToken('token type not accepted', { detail: `typ ${String(typ)}` }));
    }
    return jwks.getKey(header, token);
  };

  const base: JWTVerifyOptions = {
    issuer: opts.issuer,
    algorithms,
    requiredClaims: ['exp'],
    clockTolerance: opts.clockToleranceSec,
  };
  if (audience !== undefined) base.audience = audience;

  return {
    // A promise chain, not an async function: this runs once per cache miss, and each async
    // layer is one more promise and microtask on the path whose cost the bench compares to jose.
    verify(token: string, shapeChecked = false): Promise<JWTPayload> {
      if (token.length > maxLength) return Promise.reject(new InvalidToken('token too large'));
      if (!shapeChecked && !isJwtShaped(token)) return Promise.reject(new InvalidToken('malformed token'));
      const options = now === undefined ? base : { ...base, currentDate: new Date(now()) };
      const verified = jwtVerify(token, resolver, options).then(payloadOf, rejectMapped);
      return audienceCheck === undefined ? verified : verified.then((p) => checkAudience(p, audienceCheck));
    },
    get keyEpoch() {
      return jwks.keyEpoch;
    },
  };
}

const payloadOf = (r: { payload: JWTPayload }): JWTPayload => r.payload;

function checkAudience(payload: JWTPayload, accepts: (aud: string[], claims: JWTPayload) => boolean): JWTPayload {
  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (!accepts(aud, payload)) throw new InvalidToken('audience mismatch');
  return payload;
}
const rejectMapped = (err: unknown): never => {
  throw mapVerifyError(err);
};

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** Maps whatever `jwtVerify` threw to a ZitAuthError, by jose error `code`. */
function mapVerifyError(err: unknown): ZitAuthError {
  if (err instanceof ZitAuthError) return err;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const detail = err instanceof Error ? `${String(code ?? err.name)}: ${err.message}` : String(err);
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new InvalidToken('token expired', { detail });
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = err as { claim?: string; reason?: string };
      if (claim === 'nbf' && reason === 'check_failed') return markTransient(new InvalidToken('token not yet valid', { detail }));
      if (claim === 'iss') return new InvalidToken('issuer mismatch', { detail });
      if (claim === 'aud') return new InvalidToken('audience mismatch', { detail });
      if (claim === 'exp' && reason === 'missing') return new InvalidToken('token has no expiry', { detail });
      return new InvalidToken('malformed token', { detail });
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new InvalidToken('signature invalid', { detail });
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new InvalidToken('algorithm not allowed', { detail });
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return markTransient(new InvalidToken('unknown signing key', { detail }));
    default:
      // ERR_JWS_INVALID, ERR_JWT_INVALID and anything unexpected (e.g. a TypeError on a bad claim
      // type): the token is unusable; the detail goes to the log.
      return new InvalidToken('malformed token', { detail });
  }
}
