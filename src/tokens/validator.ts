/**
 * The one entry point /validate needs: shape check → positive cache → negative cache → JWT
 * verification or RFC 7662 introspection, with results cached until the token expires.
 *
 * Hot path for a repeated token ({@link TokenValidator.cached}): one `Map` lookup keyed by the
 * token and one clock read — no regex, no decoding, no allocation. A miss whose shape the caller
 * already checked (a {@link JwtShaped} / {@link OpaqueShaped} token) adds no second scan, and a
 * JWT whose key is known is verified synchronously: no promise unless the IdP must be asked.
 */
import { InvalidToken, ZitAuthError } from '../errors.ts';
import { ResultCache, type CacheStats } from './cache.ts';
import { isPermanentFailure } from './failures.ts';
import { checkLength, DEFAULT_MAX_TOKEN_LENGTH, isJwtShaped, isOpaqueShaped, type JwtShaped, type OpaqueShaped } from './format.ts';
import { normalizeIntrospection, type Claims } from './introspection.ts';
import type { JwtVerifier } from './verifier.ts';

/** Options of {@link TokenValidator}. */
export interface TokenValidatorOptions {
  /** Verifies JWT access tokens. */
  verifier: JwtVerifier;
  /**
   * Introspects an opaque token and returns the raw RFC 7662 JSON (from `src/idp/`). Without it,
   * opaque tokens are rejected.
   */
  introspect?: (token: string) => Promise<Record<string, unknown>>;
  /** Entries in the positive cache. Default 10 000; 0 disables it. */
  cacheSize?: number;
  /** Entries in the negative cache. Default 1 000; 0 disables it. */
  negativeCacheSize?: number;
  /** How long a rejected token is remembered, in ms. Default 5 000. */
  negativeTtlMs?: number;
  /** Upper bound on how long an introspection result is trusted, in seconds. Default 60. */
  introspectionTtlSec?: number;
  /** Longest accepted token. Default 8192. */
  maxTokenLength?: number;
  /** Clock in epoch milliseconds (injected for tests). */
  now?: () => number;
}

/** Validates bearer tokens; see the module comment for the order of checks. */
export class TokenValidator {
  readonly #verifier: JwtVerifier;
  readonly #introspect: ((token: string) => Promise<Record<string, unknown>>) | undefined;
  readonly #positive: ResultCache<Claims>;
  readonly #negative: ResultCache<ZitAuthError>;
  readonly #negativeTtlMs: number;
  readonly #introspectionTtlMs: number;
  readonly #maxLength: number;
  readonly #now: () => number;
  // Concurrent first requests for one opaque token share a single introspection.
  readonly #pending = new Map<string, Promise<Claims>>();
  #keyEpoch: number;

  constructor(opts: TokenValidatorOptions) {
    this.#verifier = opts.verifier;
    this.#introspect = opts.introspect;
    this.#now = opts.now ?? Date.now;
    // Second-sight admission: a flood of one-off tokens (valid or junk) must neither cost the
    // cache's upkeep on every request nor push out the tokens in use (see Doorkeeper).
    const admission = 'second-sight';
    this.#positive = new ResultCache({ capacity: opts.cacheSize ?? 10_000, admission, now: this.#now });
    this.#negative = new ResultCache({ capacity: opts.negativeCacheSize ?? 1_000, admission, now: this.#now });
    this.#negativeTtlMs = opts.negativeTtlMs ?? 5_000;
    this.#introspectionTtlMs = (opts.introspectionTtlSec ?? 60) * 1000;
    this.#maxLength = opts.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
    this.#keyEpoch = opts.verifier.keyEpoch;
  }

  /** Cache counters for metrics. */
  get stats(): { cache: CacheStats; negative: CacheStats } {
    return { cache: this.#positive.stats, negative: this.#negative.stats };
  }

  /**
   * Synchronous cache peek for the hottest path: the cached claims of a token validated before and
   * not yet expired, else undefined (then call {@link validate}). Saves a promise per request.
   */
  cached(token: string): Claims | undefined {
    this.#checkKeyEpoch();
    // A miss here is counted by the validate() call that follows it.
    return this.#positive.get(token, false);
  }

  /**
   * Returns the token's claims (shared and frozen: do not mutate) or rejects with a ZitAuthError:
   * {@link InvalidToken} for unacceptable tokens, 5xx IdP errors when the IdP is needed and down.
   * Checks the token's length and shape itself; callers that already did use
   * {@link validateJwt} / {@link validateOpaque}.
   */
  validate(token: string): Promise<Claims> {
    try {
      // Length first, so the shape regexes never run over a huge input.
      checkLength(token, this.#maxLength);
      if (isJwtShaped(token)) return Promise.resolve(this.validateJwt(token));
      if (isOpaqueShaped(token)) return this.validateOpaque(token);
      throw new InvalidToken('malformed', { detail: 'characters outside the b64token alphabet' });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * {@link validate} for a token known to be JWT-shaped. Synchronous (claims returned, failures
   * thrown) unless the token needs a JWKS fetch first; then a promise. The length is still bounded.
   */
  validateJwt(token: JwtShaped): Claims | Promise<Claims> {
    checkLength(token, this.#maxLength);
    this.#checkKeyEpoch();
    const hit = this.#positive.get(token);
    if (hit !== undefined) return hit;
    const rejected = this.#negative.get(token);
    if (rejected !== undefined) throw rejected;
    const epoch = this.#keyEpoch;
    let verified: Claims | Promise<Claims>;
    try {
      verified = this.#verifier.verify(token);
    } catch (err) {
      return this.#rejected(token, err);
    }
    if (verified instanceof Promise) return verified.then((c) => this.#accepted(token, c, epoch), (err: unknown) => this.#rejected(token, err));
    return this.#accepted(token, verified, epoch);
  }

  /** {@link validate} for a token known to be b64token-shaped: RFC 7662 introspection, shared by concurrent callers. */
  validateOpaque(token: OpaqueShaped): Promise<Claims> {
    try {
      checkLength(token, this.#maxLength);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#checkKeyEpoch();
    const hit = this.#positive.get(token);
    if (hit !== undefined) return Promise.resolve(hit);
    const rejected = this.#negative.get(token);
    if (rejected !== undefined) return Promise.reject(rejected);
    // Introspection is an IdP round trip: concurrent first requests for one opaque token share it.
    // (JWTs are verified locally; a shared-promise map would cost more per miss than the rare
    // duplicate verification it would save.)
    let pending = this.#pending.get(token);
    if (pending === undefined) {
      pending = this.#introspectToken(token).finally(() => this.#pending.delete(token));
      this.#pending.set(token, pending);
    }
    return pending;
  }

  /** A key was removed or replaced: results verified with it must not outlive it. */
  #checkKeyEpoch(): void {
    const epoch = this.#verifier.keyEpoch;
    if (epoch !== this.#keyEpoch) {
      this.#keyEpoch = epoch;
      this.#positive.clear();
    }
  }

  /** Caches and returns verified claims (frozen: they are shared between requests). */
  #accepted(token: string, payload: Claims, epoch: number): Claims {
    const claims: Claims = Object.freeze(payload);
    // Do not store a result verified under keys that were replaced meanwhile. The verifier
    // guarantees a finite numeric exp.
    if (epoch === this.#verifier.keyEpoch) this.#positive.set(token, claims, (claims.exp as number) * 1000);
    return claims;
  }

  /** Remembers a permanent rejection for the negative TTL, then rethrows it. */
  #rejected(token: string, err: unknown): never {
    if (isPermanentFailure(err)) this.#negative.set(token, err, this.#now() + this.#negativeTtlMs);
    throw err;
  }

  async #introspectToken(token: string): Promise<Claims> {
    try {
      const { claims, expiresAt } = await this.#introspectOnce(token);
      this.#positive.set(token, claims, expiresAt);
      return claims;
    } catch (err) {
      return this.#rejected(token, err);
    }
  }

  async #introspectOnce(token: string): Promise<{ claims: Claims; expiresAt: number }> {
    if (this.#introspect === undefined) {
      throw new InvalidToken('opaque_unsupported');
    }
    const claims = Object.freeze(normalizeIntrospection(await this.#introspect(token)));
    const now = this.#now();
    let expiresAt = now + this.#introspectionTtlMs;
    if (typeof claims.exp === 'number') {
      // Defensive: the IdP should never call an expired token active.
      if (claims.exp * 1000 <= now) throw new InvalidToken('expired');
      expiresAt = Math.min(expiresAt, claims.exp * 1000);
    }
    return { claims, expiresAt };
  }
}
