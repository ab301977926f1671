/**
 * Caches the gateway's own M2M access token and refreshes it ahead of expiry.
 *
 * - one fetch at a time: concurrent callers share it (single flight);
 * - inside the refresh-skew window the cached token is still returned while a background refresh
 *   runs, so callers never wait for a token that is still valid;
 * - when the IdP fails but the cached token is valid, it keeps being served;
 * - with no valid token, the IdP error surfaces: 4xx ZitAuthErrors and a refusal of the gateway's
 *   own credentials (502 {@link IdpCredentialsRejected}: the key file, not the network) as they
 *   are, anything else (outage, timeout) as a 503 with `retryAfter`; and for `retryAfterSec` after
 *   a failure the error is repeated without asking the IdP again.
 */
import { IdpBadResponse, IdpCredentialsRejected, IdpTimeout, IdpUnavailable, ZitAuthError } from '../errors.ts';

/** A token endpoint response, as far as the broker needs it. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  /** Lifetime in seconds. */
  expires_in: number;
}

/** Seconds before expiry the broker refreshes by default ({@link TokenBrokerOptions.refreshSkewSec}). */
export const DEFAULT_REFRESH_SKEW_SEC = 60;

/** Options of {@link TokenBroker}. */
export interface TokenBrokerOptions {
  /** Obtains a fresh token from the IdP (e.g. the JWT bearer grant in `src/idp/`). */
  fetchToken: () => Promise<TokenResponse>;
  /** Refresh this many seconds before expiry. Default 60 (capped at half the token's lifetime). */
  refreshSkewSec?: number;
  /** After a failed fetch, wait this long before asking the IdP again; also the 503 `retryAfter`. Default 5. */
  retryAfterSec?: number;
  /** Clock in epoch milliseconds (injected for tests). */
  now?: () => number;
}

interface Cached {
  access_token: string;
  token_type: string;
  expiresAt: number;
  refreshAt: number;
}

/** Hands out the gateway's M2M access token; see the module comment for the caching rules. */
export class TokenBroker {
  /** `fetches`: calls of fetchToken; `failures`: those that failed. */
  readonly stats = { fetches: 0, failures: 0 };
  readonly #fetchToken: () => Promise<TokenResponse>;
  readonly #skewMs: number;
  readonly #retryAfterMs: number;
  readonly #now: () => number;
  #cached: Cached | undefined;
  #inflight: Promise<Cached> | undefined;
  #lastFailure: { at: number; error: ZitAuthError } | undefined;

  constructor(opts: TokenBrokerOptions) {
    this.#fetchToken = opts.fetchToken;
    this.#skewMs = (opts.refreshSkewSec ?? DEFAULT_REFRESH_SKEW_SEC) * 1000;
    this.#retryAfterMs = (opts.retryAfterSec ?? 5) * 1000;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * A valid access token; `expires_in` is the remaining lifetime in whole seconds.
   * @throws ZitAuthError 4xx as received from the IdP layer, else a 503 with `retryAfter`
   */
  async getToken(): Promise<TokenResponse> {
    const now = this.#now();
    const cached = this.#cached;
    if (cached !== undefined && now < cached.expiresAt) {
      if (now >= cached.refreshAt && this.#inflight === undefined && !this.#backingOff(now)) {
        // Errors are recorded in stats/#lastFailure; the cached token remains good meanwhile.
        this.#refresh().catch(() => {});
      }
      return view(cached, now);
    }
    if (this.#inflight === undefined && this.#lastFailure !== undefined && this.#backingOff(now)) {
      throw this.#lastFailure.error;
    }
    const fresh = await this.#refresh();
    return view(fresh, this.#now());
  }

  /** Forgets the cached token (e.g. after a downstream said it was rejected). */
  invalidate(): void {
    this.#cached = undefined;
  }

  #backingOff(now: number): boolean {
    return this.#lastFailure !== undefined && now - this.#lastFailure.at < this.#retryAfterMs;
  }

  #refresh(): Promise<Cached> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<Cached> {
    this.stats.fetches++;
    try {
      const res = await this.#fetchToken();
      if (typeof res?.access_token !== 'string' || res.access_token.length === 0 || !(typeof res.expires_in === 'number' && res.expires_in > 0)) {
        throw new IdpBadResponse('identity provider sent an invalid token response', { detail: 'access_token or expires_in missing' });
      }
      const now = this.#now();
      const lifetimeMs = res.expires_in * 1000;
      // A short-lived token must not spend its whole life "about to expire".
      const skew = Math.min(this.#skewMs, lifetimeMs / 2);
      const next: Cached = {
        access_token: res.access_token,
        token_type: typeof res.token_type === 'string' && res.token_type !== '' ? res.token_type : 'Bearer',
        expiresAt: now + lifetimeMs,
        refreshAt: now + lifetimeMs - skew,
      };
      this.#cached = next;
      this.#lastFailure = undefined;
      return next;
    } catch (err) {
      this.stats.failures++;
      const error = this.#toClientError(err);
      this.#lastFailure = { at: this.#now(), error };
      throw error;
    }
  }

  #toClientError(err: unknown): ZitAuthError {
    if (err instanceof ZitAuthError && err.status >= 400 && err.status < 500) return err;
    if (err instanceof IdpCredentialsRejected) return err;
    const retryAfter = Math.max(1, Math.ceil(this.#retryAfterMs / 1000));
    if (err instanceof ZitAuthError && err.status === 503 && err.retryAfter !== undefined) return err;
    const detail = err instanceof ZitAuthError ? `${err.code}: ${err.detail ?? err.message}` : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (err instanceof IdpTimeout) return new IdpTimeout(err.message, { status: 503, retryAfter, detail, cause: err });
    return new IdpUnavailable('identity provider unavailable, cannot obtain a token', { status: 503, retryAfter, detail, cause: err });
  }
}

function view(c: Cached, now: number): TokenResponse {
  return { access_token: c.access_token, token_type: c.token_type, expires_in: Math.max(0, Math.floor((c.expiresAt - now) / 1000)) };
}
