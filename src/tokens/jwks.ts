/**
 * JWKS cache for the IdP's signing keys.
 *
 * Built on jose's `createLocalJWKSet` over key sets we fetch ourselves rather than on
 * `createRemoteJWKSet`: the remote variant throws when a stale set fails to reload, which during an
 * IdP outage would turn every valid token into an error. Here the last good set is kept until a
 * newer one replaces it, so valid tokens keep validating while the IdP is down.
 *
 * Refresh rules:
 * - one fetch in flight at a time (single flight); callers join it;
 * - an unknown `kid` triggers at most one refetch per `cooldownMs` (so junk `kid`s cannot make us
 *   hammer the IdP), then the lookup is retried on the new set;
 * - a set older than `maxAgeMs` is refreshed in the background; lookups of known kids never wait;
 * - a refreshed set replaces the old one wholesale, so a dropped kid stops verifying.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
import { createLocalJWKSet, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters, type LocalJWKSet } from 'jose';
import { IdpBadResponse, IdpTimeout, IdpUnavailable, InvalidToken, ZitAuthError } from '../errors.ts';
import { markTransient } from './failures.ts';

/** Options of {@link JwksCache}. */
export interface JwksCacheOptions {
  /** The IdP's JWKS endpoint (Zitadel: `{issuer}/oauth/v2/keys`). */
  jwksUri: string;
  /** fetch implementation (injected for tests). */
  fetch?: typeof fetch;
  /** Abort a JWKS request after this many milliseconds. */
  timeoutMs: number;
  /** Minimum time between two refetches triggered by unknown kids or staleness. Default 30 s. */
  cooldownMs?: number;
  /** Age after which the key set is refreshed in the background. Default 300 s (Zitadel's max-age). */
  maxAgeMs?: number;
  /** Clock in epoch milliseconds (injected for tests). */
  now?: () => number;
  /** Called after every fetch attempt with its outcome and duration (for metrics). */
  onRefresh?: (ok: boolean, ms: number) => void;
}

/** Without any keys we retry sooner than the cooldown: nothing can validate until a fetch works. */
const EMPTY_RETRY_MS = 5_000;

/** Key resolver signature accepted by jose's `jwtVerify`. */
export type KeyResolver = (header: JWSHeaderParameters, token?: FlattenedJWSInput) => Promise<CryptoKey>;

/**
 * The IdP's signing keys, fetched lazily and kept across outages; {@link getKey} is the resolver
 * to hand to jose's `jwtVerify`. See the module comment for the refresh rules.
 */
export class JwksCache {
  /** Fetch counters: `refreshes` counts successful fetches, `failures` failed ones. */
  readonly stats = { refreshes: 0, failures: 0 };
  /** Metrics hook, see {@link JwksCacheOptions.onRefresh}. */
  onRefresh: ((ok: boolean, ms: number) => void) | undefined;
  /** Epoch ms of the last successful fetch; undefined before the first. */
  lastRefreshAt: number | undefined;
  /**
   * Incremented whenever a refresh removes or changes a key that was present before. Anything
   * derived from the old keys (e.g. cached validation results) must be dropped when it changes.
   */
  keyEpoch = 0;

  readonly #uri: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #local: LocalJWKSet | undefined;
  #fingerprints = new Map<string, string>();
  #inflight: Promise<void> | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #lastError: ZitAuthError | undefined;

  constructor(opts: JwksCacheOptions) {
    this.#uri = opts.jwksUri;
    this.#fetch = opts.fetch ?? fetch;
    this.#timeoutMs = opts.timeoutMs;
    this.#cooldownMs = opts.cooldownMs ?? 30_000;
    this.#maxAgeMs = opts.maxAgeMs ?? 300_000;
    this.#now = opts.now ?? Date.now;
    this.onRefresh = opts.onRefresh;
  }

  /** True once a key set has been loaded (it may be old; see {@link isFresh}). */
  get ready(): boolean {
    return this.#local !== undefined;
  }

  /** True when the loaded key set is younger than `maxAgeMs`. */
  isFresh(): boolean {
    return this.lastRefreshAt !== undefined && this.#now() - this.lastRefreshAt < this.#maxAgeMs;
  }

  /**
   * Fetches the key set now (joining a fetch already in flight), ignoring the cooldown. Rejects
   * with a 503 {@link IdpUnavailable} / {@link IdpTimeout} or a {@link IdpBadResponse}; the
   * previous keys stay in use on failure.
   */
  refresh(): Promise<void> {
    if (this.#inflight === undefined) {
      this.#inflight = this.#fetchAndSwap().finally(() => {
        this.#inflight = undefined;
      });
    }
    return this.#inflight;
  }

  /**
   * Key resolver for jose's `jwtVerify`. Throws only ZitAuthErrors: {@link InvalidToken}
   * ("unknown signing key", "algorithm not allowed") for token problems, 503 IdP errors when no
   * key set could ever be loaded.
   */
  readonly getKey: KeyResolver = async (header, token) => {
    let local = this.#local;
    if (local === undefined) {
      local = await this.#loadFirst();
    } else if (this.#inflight === undefined && !this.isFresh() && this.#cooledDown()) {
      // Stale: refresh behind the caller's back; known kids keep resolving from the old set.
      this.refresh().catch(() => {});
    }
    try {
      return await local(header, token);
    } catch (err) {
      if (errCode(err) !== 'ERR_JWKS_NO_MATCHING_KEY') throw mapResolveError(err);
    }
    // Unknown kid: maybe the IdP rotated keys. Refetch once (or join a fetch in flight).
    if (this.#inflight !== undefined || this.#cooledDown()) {
      await this.refresh().catch(() => {});
      const fresh = this.#local;
      if (fresh !== undefined && fresh !== local) {
        try {
          return await fresh(header, token);
        } catch (err) {
          if (errCode(err) !== 'ERR_JWKS_NO_MATCHING_KEY') throw mapResolveError(err);
        }
      }
    }
    // Transient: a key published after our last (cooldown-limited) fetch becomes known later.
    throw markTransient(new InvalidToken('unknown signing key'));
  };

  #cooledDown(): boolean {
    return this.#now() - this.#lastAttemptAt >= this.#cooldownMs;
  }

  /** First load: waits for a fetch, but repeats a recent failure instead of refetching each request. */
  async #loadFirst(): Promise<LocalJWKSet> {
    if (this.#inflight === undefined && this.#lastError !== undefined) {
      const retryIn = Math.min(this.#cooldownMs, EMPTY_RETRY_MS) - (this.#now() - this.#lastAttemptAt);
      if (retryIn > 0) throw withRetryAfter(this.#lastError, retryIn);
    }
    await this.refresh();
    // refresh() resolved, so a set is loaded.
    return this.#local as LocalJWKSet;
  }

  async #fetchAndSwap(): Promise<void> {
    const started = this.#now();
    this.#lastAttemptAt = started;
    try {
      const jwks = await this.#download();
      const local = createLocalJWKSet(jwks);
      this.#noteKeyChanges(jwks);
      this.#local = local;
      this.lastRefreshAt = this.#now();
      this.#lastError = undefined;
      this.stats.refreshes++;
      this.onRefresh?.(true, this.#now() - started);
    } catch (err) {
      const mapped = err instanceof ZitAuthError
        ? err
        : new IdpBadResponse('identity provider sent an invalid key set', { detail: describe(err) });
      this.#lastError = mapped;
      this.stats.failures++;
      this.onRefresh?.(false, this.#now() - started);
      throw withRetryAfter(mapped, Math.min(this.#cooldownMs, EMPTY_RETRY_MS));
    }
  }

  async #download(): Promise<JSONWebKeySet> {
    const retryAfter = Math.ceil(Math.min(this.#cooldownMs, EMPTY_RETRY_MS) / 1000);
    let res: Response;
    let body: unknown;
    try {
      res = await this.#fetch(this.#uri, {
        headers: { accept: 'application/json, application/jwk-set+json' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (!res.ok) {
        // Drain so the connection can be reused.
        await res.body?.cancel().catch(() => {});
        throw new IdpUnavailable('identity provider unavailable', { status: 503, retryAfter, detail: `JWKS HTTP ${res.status}` });
      }
      body = await res.json();
    } catch (err) {
      if (err instanceof ZitAuthError) throw err;
      if (isTimeout(err)) {
        throw new IdpTimeout('identity provider did not answer in time', { status: 503, retryAfter, detail: `JWKS fetch exceeded ${this.#timeoutMs} ms` });
      }
      if (err instanceof SyntaxError) throw new IdpBadResponse('identity provider sent an invalid key set', { detail: 'JWKS body is not JSON' });
      throw new IdpUnavailable('identity provider unreachable', { status: 503, retryAfter, detail: describe(err) });
    }
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys)) {
      throw new IdpBadResponse('identity provider sent an invalid key set', { detail: 'JWKS body has no keys array' });
    }
    return body as JSONWebKeySet;
  }

  /** Bumps {@link keyEpoch} when a key present before is missing or different now. */
  #noteKeyChanges(jwks: JSONWebKeySet): void {
    const next = new Map<string, string>();
    jwks.keys.forEach((jwk, i) => next.set(jwk.kid ?? `#${i}`, JSON.stringify(jwk)));
    for (const [kid, print] of this.#fingerprints) {
      if (next.get(kid) !== print) {
        this.keyEpoch++;
        break;
      }
    }
    this.#fingerprints = next;
  }
}

function errCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = errCode(err);
  return `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message}`;
}

/** Translates jose resolver failures other than "no matching key" into our errors. */
function mapResolveError(err: unknown): ZitAuthError {
  if (err instanceof ZitAuthError) return err;
  switch (errCode(err)) {
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new InvalidToken('algorithm not allowed', { detail: describe(err) });
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      // Only possible for tokens without `kid`; Zitadel always sets one.
      return markTransient(new InvalidToken('unknown signing key', { detail: 'token without kid matches several keys' }));
    default:
      return new IdpBadResponse('identity provider published an unusable signing key', { detail: describe(err) });
  }
}

/** Same error with `retryAfter` set to the remaining wait (whole seconds, at least 1). */
function withRetryAfter(err: ZitAuthError, waitMs: number): ZitAuthError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  if (err.retryAfter === retryAfter) return err;
  const opts = { status: err.status, retryAfter, detail: err.detail, cause: err.cause };
  if (err instanceof IdpTimeout) return new IdpTimeout(err.message, opts);
  if (err instanceof IdpUnavailable) return new IdpUnavailable(err.message, opts);
  return err;
}
