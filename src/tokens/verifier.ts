/**
 * JWT access-token verification through node:crypto: the compact JWS taken apart strictly
 * (jws.ts), the header rules, a key from the JWKS cache, the signature (algorithms.ts), then the
 * claim rules (claims.ts). jose stays the reference: a differential test holds this verifier to
 * jose's `jwtVerify` verdicts (tests/unit/verifier-differential.test.ts, which lists every
 * intended difference).
 *
 * For a token whose key is known, {@link JwtVerifier.verify} answers synchronously — no promise on
 * the path of every cache miss (see docs/benchmarks.md). Only a token that needs a JWKS fetch
 * first gets a promise. Every failure is an {@link InvalidToken} with a {@link RejectionReason},
 * or a 5xx IdP error when the key set cannot be fetched.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8725 (JWT best current practices)
 */
import type { KeyObject } from 'node:crypto';
import { InvalidToken } from '../errors.ts';
import { algorithmSpec, verifySignature, type AlgorithmSpec } from './algorithms.ts';
import { anyOf, checkClaims, DEFAULT_MAX_LIFETIME_SEC, type AudiencePolicy, type ClaimRules } from './claims.ts';
import { DEFAULT_MAX_TOKEN_LENGTH, type JwtShaped } from './format.ts';
import type { Claims } from './introspection.ts';
import { checkHeader, decodeJsonObject, normalizeTyp, splitCompact, type CompactJws } from './jws.ts';

export { isPermanentFailure } from './failures.ts';
export { anyOf, type AudiencePolicy } from './claims.ts';

/** Where the verifier gets keys: {@link JwksCache} implements it. */
export interface KeySource {
  /** The key for `kid`/`alg` now, or undefined when the set must be fetched first; throws final rejections. */
  select(kid: string | undefined, alg: AlgorithmSpec): KeyObject | undefined;
  /** The key after the next allowed fetch; rejects `unknown_key` or with the fetch's IdP error. */
  selectAfterRefresh(kid: string | undefined, alg: AlgorithmSpec): Promise<KeyObject>;
  /** Moves when a key is removed or replaced. */
  readonly keyEpoch: number;
}

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  /** Expected `iss`, compared exactly (Zitadel: the instance URL, no trailing slash). */
  issuer: string;
  /**
   * Who the token must be for. A policy function, or a list meaning {@link anyOf}(list); an empty
   * list or undefined checks no audience.
   */
  audience?: AudiencePolicy | readonly string[];
  /** Accepted JWS algorithms (see algorithms.ts). `none`, `HS*` and unknown names are dropped. */
  algorithms: readonly string[];
  /** Leeway for `exp`/`nbf`/`iat`, in seconds. */
  clockToleranceSec: number;
  /** Longest accepted distance of `exp` from now, in seconds. Default {@link DEFAULT_MAX_LIFETIME_SEC}. */
  maxLifetimeSec?: number;
  jwks: KeySource;
  /** Longest accepted token. Default 8192. */
  maxTokenLength?: number;
  /**
   * Accepted header `typ` values, compared case-insensitively with an optional `application/`
   * prefix (RFC 7515 §4.1.9). A token without `typ` is accepted. Default `['JWT', 'at+jwt']`:
   * Zitadel sends `JWT`, RFC 9068 providers `at+jwt`.
   */
  types?: readonly string[];
  /** Clock in epoch milliseconds (injected for tests). */
  now?: () => number;
}

/** A configured JWT verifier. */
export interface JwtVerifier {
  /**
   * The claims of `token`, synchronously when its key is known; a promise only when the key set
   * must be fetched first. Failures: thrown synchronously on the synchronous path, as a rejection
   * on the other — always a ZitAuthError ({@link InvalidToken} with its `reason`, or a 503 IdP
   * error), never a jose or node:crypto error.
   */
  verify(token: JwtShaped): Claims | Promise<Claims>;
  /** The key source's `keyEpoch`: results cached under an older epoch are stale. */
  readonly keyEpoch: number;
}

/** Builds a {@link JwtVerifier}. Throws a TypeError when no usable algorithm remains. */
export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const algorithms = new Map<string, AlgorithmSpec>();
  for (const name of opts.algorithms) {
    const spec = algorithmSpec(name);
    if (spec !== undefined) algorithms.set(name, spec);
  }
  if (algorithms.size === 0) throw new TypeError('createJwtVerifier: no supported asymmetric algorithm allowed');
  const audience = typeof opts.audience === 'function' ? opts.audience : opts.audience !== undefined && opts.audience.length > 0 ? anyOf(opts.audience) : undefined;
  const rules: ClaimRules = {
    issuer: opts.issuer,
    audience,
    clockToleranceSec: opts.clockToleranceSec,
    maxLifetimeSec: opts.maxLifetimeSec ?? DEFAULT_MAX_LIFETIME_SEC,
  };
  const types: ReadonlySet<string> = new Set((opts.types ?? ['JWT', 'at+jwt']).map(normalizeTyp));
  const maxLength = opts.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const now = opts.now ?? Date.now;
  const jwks = opts.jwks;

  /** Signature, then claims: unauthenticated claims never decide anything. */
  const finish = (jws: CompactJws, alg: AlgorithmSpec, key: KeyObject): Claims => {
    if (!verifySignature(alg, key, jws.signingInput, Buffer.from(jws.signatureSegment, 'base64url'))) {
      throw new InvalidToken('bad_signature');
    }
    const claims = decodeJsonObject(jws.payloadSegment, 'claims');
    const reason = checkClaims(claims, rules, Math.floor(now() / 1000));
    if (reason !== undefined) throw new InvalidToken(reason);
    // checkClaims enforced the registered claims' types that JWTPayload declares.
    return claims as Claims;
  };

  return {
    verify(token: JwtShaped): Claims | Promise<Claims> {
      if (token.length > maxLength) throw new InvalidToken('too_large', { detail: `length ${token.length} > ${maxLength}` });
      const jws = splitCompact(token);
      const { alg, kid } = checkHeader(jws.header, algorithms, types);
      const key = jwks.select(kid, alg);
      if (key !== undefined) return finish(jws, alg, key);
      return jwks.selectAfterRefresh(kid, alg).then((k) => finish(jws, alg, k));
    },
    get keyEpoch() {
      return jwks.keyEpoch;
    },
  };
}
