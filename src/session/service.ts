/**
 * Session mode (backend for frontend): the tokens stay here, the browser holds a cookie with a
 * random id. This service creates sessions at the login callback, resolves the cookie on each
 * request (idle timeout sliding on use, absolute lifetime, refresh ahead of expiry) and ends
 * them (logout, back-channel logout, refresh refused).
 *
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-browser-based-apps §6.1 (BFF)
 */
import { SessionRequired, SessionUnavailable, ZitAuthError } from '../errors.ts';
import type { TokenSet } from '../idp/index.ts';
import type { Claims } from '../tokens/introspection.ts';
import type { Stores } from '../store/types.ts';
import { newSessionId, SessionCipher, storeKeyOf } from './cipher.ts';
import type { SessionCookie } from './cookie.ts';
import { accessExpiresAt, mergeClaims, type SessionData } from './data.ts';
import { Refresher } from './refresh.ts';
import { ResultCache } from '../tokens/cache.ts';

export interface SessionSettings {
  idleSec: number;
  maxSec: number;
  refreshSkewSec: number;
}

/** What happened to sessions (metrics). */
export interface SessionEvents {
  created?(): void;
  ended?(reason: EndReason): void;
  refreshed?(outcome: 'ok' | 'rejected' | 'unavailable' | 'joined'): void;
}

export type EndReason = 'logout' | 'backchannel' | 'refresh_rejected' | 'expired' | 'replaced' | 'undecryptable';

/** A session found for a request. */
export interface ActiveSession {
  key: string;
  data: SessionData;
  /** Epoch ms when it ends at the latest if unused (idle timeout, capped by the absolute lifetime). */
  expiresAt: number;
}

export interface SessionServiceDeps {
  stores: Pick<Stores, 'sessions' | 'locks'>;
  cookieSecret: string;
  cookie: SessionCookie;
  settings: SessionSettings;
  refresh: (refreshToken: string) => Promise<TokenSet>;
  /** Claims of an access token (the validator), undefined when it cannot be validated here. */
  claimsOf: (accessToken: string) => Promise<Claims | undefined>;
  /** Lease of the refresh lock. */
  refreshLeaseMs: number;
  now?: () => number;
  events?: SessionEvents;
  /** A store call that failed (logged at warn by the caller). */
  onStoreError?: (err: unknown) => void;
}

export class SessionService {
  readonly cookie: SessionCookie;
  readonly #d: SessionServiceDeps;
  readonly #cipher: SessionCipher;
  readonly #now: () => number;
  readonly #refresher: Refresher;
  /** Sessions opened lately, by store key, with the sealed value they came from (bounded). */
  readonly #opened: ResultCache<{ sealed: string; data: SessionData }>;

  constructor(deps: SessionServiceDeps) {
    this.#d = deps;
    this.cookie = deps.cookie;
    this.#cipher = new SessionCipher(deps.cookieSecret);
    this.#now = deps.now ?? Date.now;
    this.#opened = new ResultCache({ capacity: 10_000, now: this.#now });
    this.#refresher = new Refresher({
      sessions: deps.stores.sessions,
      locks: deps.stores.locks,
      read: (key) => this.#read(key),
      seal: (key, data) => this.#seal(key, data),
      ttlMs: (data) => this.#ttlMs(data),
      grant: deps.refresh,
      claimsOf: deps.claimsOf,
      end: (key, reason) => this.#end(key, reason),
      onRefresh: (o) => deps.events?.refreshed?.(o),
      leaseMs: deps.refreshLeaseMs,
      now: this.#now,
    });
  }

  /**
   * A new session for the tokens of a finished login; returns the Set-Cookie value. The
   * browser's previous session, if any, is ended: a login always gets a fresh id (no fixation).
   */
  async create(tokens: TokenSet, previousCookie: string | null): Promise<string> {
    const idClaims = tokens.idTokenClaims;
    const sub = typeof idClaims?.sub === 'string' ? idClaims.sub : undefined;
    if (sub === undefined) throw new SessionUnavailable('the ID token has no sub');
    const previous = this.#keyOf(previousCookie);
    if (previous !== undefined) await this.#end(previous, 'replaced');
    const now = this.#now();
    const accessClaims = await this.#d.claimsOf(tokens.access_token);
    const data: SessionData = {
      v: 1,
      sub,
      sid: typeof idClaims?.sid === 'string' ? idClaims.sid : undefined,
      createdAt: now,
      absoluteExpiresAt: now + this.#d.settings.maxSec * 1000,
      accessToken: tokens.access_token,
      accessExpiresAt: accessExpiresAt(tokens.expires_in, accessClaims, now),
      refreshToken: tokens.refresh_token,
      idToken: tokens.id_token,
      claims: mergeClaims(accessClaims, idClaims),
      generation: 0,
    };
    const id = newSessionId();
    const key = storeKeyOf(id)!;
    await this.#store(async (s) => {
      await s.put(key, this.#seal(key, data), this.#ttlMs(data));
      await s.index(key, { sid: data.sid, sub }, data.absoluteExpiresAt - now);
    });
    this.#d.events?.created?.();
    return this.cookie.set(id);
  }

  /**
   * The live session of a request's cookie, or undefined (no cookie, unknown, forged, expired).
   * Using it slides the idle timeout. With `refresh`, an access token close to expiry is
   * refreshed first (see refresh.ts); that may end the session (undefined) or, with the IdP
   * down and the token expired, throw a 503 {@link SessionUnavailable}.
   */
  async resolve(cookieHeader: string | null, opts: { refresh: boolean }): Promise<ActiveSession | undefined> {
    const key = this.#keyOf(cookieHeader);
    if (key === undefined) return undefined;
    let data = await this.#read(key);
    if (data === undefined) return undefined;
    const now = this.#now();
    if (now >= data.absoluteExpiresAt) {
      await this.#end(key, 'expired');
      return undefined;
    }
    // Sliding idle timeout: extend the lifetime without rewriting the value (see SessionStore.touch).
    void this.#d.stores.sessions.touch(key, this.#ttlMs(data)).catch((err) => this.#d.onStoreError?.(err));
    if (opts.refresh && data.accessExpiresAt - now <= this.#d.settings.refreshSkewSec * 1000) {
      try {
        data = await this.#refresher.refresh(key, data);
      } catch (err) {
        if (err instanceof SessionRequired) return undefined;
        if (err instanceof ZitAuthError) throw err;
        // Anything else that failed under the refresh (store errors are ZitAuthErrors, rethrown
        // above): the session stays, retry later.
        this.#d.onStoreError?.(err);
        throw new SessionUnavailable(`session store during refresh: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { key, data, expiresAt: Math.min(now + this.#d.settings.idleSec * 1000, data.absoluteExpiresAt) };
  }

  /** Ends the session of a request's cookie (logout); returns what it held, for end_session. */
  async endByCookie(cookieHeader: string | null): Promise<SessionData | undefined> {
    const key = this.#keyOf(cookieHeader);
    if (key === undefined) return undefined;
    const data = await this.#read(key);
    // Nothing to end when the store has no session (or #read just ended an undecryptable one).
    if (data !== undefined) await this.#end(key, 'logout');
    return data;
  }

  /** Ends every session of an IdP session (`sid`) or user (`sub`); returns how many. */
  async endMatching(refs: { sid?: string | undefined; sub?: string | undefined }): Promise<number> {
    const keys = new Set<string>();
    await this.#store(async (s) => {
      if (refs.sid !== undefined) for (const k of await s.lookup('sid', refs.sid)) keys.add(k);
      else if (refs.sub !== undefined) for (const k of await s.lookup('sub', refs.sub)) keys.add(k);
    });
    let ended = 0;
    for (const key of keys) {
      const data = await this.#read(key);
      // The index may be stale or shared: end only what really matches.
      if (data === undefined || (refs.sid !== undefined && data.sid !== refs.sid) || (refs.sub !== undefined && data.sub !== refs.sub)) continue;
      await this.#end(key, 'backchannel');
      ended++;
    }
    return ended;
  }

  #keyOf(cookieHeader: string | null): string | undefined {
    const id = this.cookie.read(cookieHeader);
    return id === undefined ? undefined : storeKeyOf(id);
  }

  async #read(key: string): Promise<SessionData | undefined> {
    const sealed = await this.#store((s) => s.get(key));
    if (sealed === undefined) return undefined;
    // The store is asked every time (another replica may have refreshed or ended the session);
    // only opening the very same sealed value again is skipped (docs/benchmarks.md, sessions).
    const memo = this.#opened.get(key, false);
    if (memo !== undefined && memo.sealed === sealed) return memo.data;
    const text = this.#cipher.open(key, sealed);
    if (text === undefined) {
      // Sealed under another secret (ZITAUTH_COOKIE_SECRET changed) or tampered with.
      await this.#end(key, 'undecryptable');
      return undefined;
    }
    const data = JSON.parse(text) as SessionData;
    this.#opened.set(key, { sealed, data }, data.absoluteExpiresAt);
    return data;
  }

  async #end(key: string, reason: EndReason): Promise<void> {
    this.#opened.delete(key);
    await this.#store((s) => s.delete(key));
    this.#d.events?.ended?.(reason);
  }

  #seal(key: string, data: SessionData): string {
    return this.#cipher.seal(key, JSON.stringify(data));
  }

  #ttlMs(data: SessionData): number {
    return Math.max(1, Math.min(this.#d.settings.idleSec * 1000, data.absoluteExpiresAt - this.#now()));
  }

  /** Runs a store call; a failing store is a 503 (sessions are kept, not ended). */
  async #store<T>(fn: (s: Stores['sessions']) => Promise<T>): Promise<T> {
    try {
      return await fn(this.#d.stores.sessions);
    } catch (err) {
      if (err instanceof SessionUnavailable || err instanceof SessionRequired) throw err;
      this.#d.onStoreError?.(err);
      throw new SessionUnavailable(`session store: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
  }
}
