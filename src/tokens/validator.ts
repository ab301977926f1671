/**
 * The one entry point /validate needs: shape check → positive cache → negative cache → JWT
 * verification or RFC 7662 introspection, with results cached until the token expires.
 *
 * Hot path for a repeated token ({@link TokenValidator.cached}): one `Map` lookup keyed by the
 * token and one clock read — no regex, no decoding, no allocation. A miss whose shape the caller
 * already knows adds no second scan of the token.
 */
import { InvalidToken, ZitAuthError } from '../errors.ts';
import { ResultCache, type CacheStats } from './cache.ts';
import { isPermanentFailure } from './failures.ts';
import { classifyToken, DEFAULT_MAX_TOKEN_LENGTH, type TokenKind } from './format.ts';
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
   * `kind`: the token's shape when the caller has already matched it (see `tokenShape`); the
   * shape is then not scanned again.
   */
  validate(token: string, kind?: TokenKind): Promise<Claims> {
    if (kind === undefined || token.length > this.#maxLength) {
      try {
        kind = classifyToken(token, this.#maxLength);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    this.#checkKeyEpoch();
    const hit = this.#positive.get(token);
    if (hit !== undefined) return Promise.resolve(hit);
    const rejected = this.#negative.get(token);
    if (rejected !== undefined) return Promise.reject(rejected);
    if (kind === 'jwt') return this.#verifyJwt(token);

    // Introspection is an IdP round trip: concurrent first requests for one opaque token share it.
    // (JWTs are verified locally in ~50 µs; a shared-promise map cost more per miss than the rare
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

  // A promise chain, not an async function: one promise fewer on every cache miss.
  #verifyJwt(token: string): Promise<Claims> {
    const epoch = this.#keyEpoch;
    return this.#verifier.verify(token, true).then(
      (payload) => {
        const claims: Claims = Object.freeze(payload);
        // Do not store a result verified under keys that were replaced meanwhile.
        // jose guaranteed a numeric exp (requiredClaims).
        if (epoch === this.#verifier.keyEpoch) this.#positive.set(token, claims, (claims.exp as number) * 1000);
        return claims;
      },
      (err: unknown) => this.#rejected(token, err),
    );
  }

  /** Remembers a permanent rejection for the negative TTL, then rethrows it. */
  #rejected(token: string, err: unknown): never {
    if (isPermanentFailure(err)) this.#negative.set(token, err as ZitAuthError, this.#now() + this.#negativeTtlMs);
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
      throw new InvalidToken('opaque tokens need introspection (set ZITAUTH_INTROSPECTION_KEY_FILE)');
    }
    const claims = Object.freeze(normalizeIntrospection(await this.#introspect(token)));
    const now = this.#now();
    let expiresAt = now + this.#introspectionTtlMs;
    if (typeof claims.exp === 'number') {
      // Defensive: the IdP should never call an expired token active.
      if (claims.exp * 1000 <= now) throw new InvalidToken('token expired');
      expiresAt = Math.min(expiresAt, claims.exp * 1000);
    }
    return { claims, expiresAt };
  }
}
