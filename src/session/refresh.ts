/**
 * Refreshing a session's access token ahead of expiry — once per session, whatever the number of
 * concurrent requests and replicas. Zitadel rotates refresh tokens on every use, so two refreshes
 * with the same token would have the second refused and the user logged out (oauth2-proxy's bug
 * class, its issues 1992 and 1006).
 *
 * - In this process, concurrent callers share one refresh (single flight).
 * - Across replicas, a leased lock (`refresh:<session key>`) admits one; the others wait and then
 *   read the refreshed session from the store — never using the rotated-away refresh token.
 * - The write is fenced: it only lands while the lock is still held by its token, so a holder
 *   whose lease ran out cannot overwrite its successor's tokens.
 * - The IdP refusing the refresh token ends the session (the caller answers 401); the IdP being
 *   unreachable does not: the current access token is used while valid, then 503 + Retry-After.
 */
import { IdpRejected, SessionRequired, SessionUnavailable, ZitAuthError } from '../errors.ts';
import type { TokenSet } from '../idp/index.ts';
import type { Claims } from '../tokens/introspection.ts';
import type { Locks, SessionStore } from '../store/types.ts';
import { accessExpiresAt, mergeClaims, type SessionData } from './data.ts';

export interface RefresherDeps {
  sessions: SessionStore;
  locks: Locks;
  /** Reads and decrypts a session; undefined when gone. */
  read(key: string): Promise<SessionData | undefined>;
  /** Encrypts a session for the store. */
  seal(key: string, data: SessionData): string;
  /** Store lifetime of a session that was just used (idle timeout, capped by the absolute one). */
  ttlMs(data: SessionData): number;
  /** The refresh_token grant at the IdP. */
  grant(refreshToken: string): Promise<TokenSet>;
  /** Claims of a fresh access token (validated), or undefined when it cannot be validated here. */
  claimsOf(accessToken: string): Promise<Claims | undefined>;
  /** Deletes an ended session. */
  end(key: string, reason: 'refresh_rejected'): Promise<void>;
  onRefresh?: (outcome: 'ok' | 'rejected' | 'unavailable' | 'joined') => void;
  /** How long a refresh may take before the lock lapses (3 × the IdP timeout is plenty). */
  leaseMs: number;
  now: () => number;
}

const POLL_MS = 25;
/** After a failed refresh (IdP unreachable) this session waits before trying again. */
const RETRY_MS = 5_000;

export class Refresher {
  readonly #d: RefresherDeps;
  readonly #inflight = new Map<string, Promise<SessionData>>();
  readonly #failedAt = new Map<string, number>();

  constructor(deps: RefresherDeps) {
    this.#d = deps;
  }

  /** `seen` refreshed (or as refreshed by someone else); see the module comment for failures. */
  refresh(key: string, seen: SessionData): Promise<SessionData> {
    const failed = this.#failedAt.get(key);
    if (failed !== undefined && this.#d.now() - failed < RETRY_MS) return this.#fallback(seen, 'the IdP failed the last refresh');
    let p = this.#inflight.get(key);
    if (p === undefined) {
      p = this.#coordinated(key, seen).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    } else this.#d.onRefresh?.('joined');
    return p;
  }

  async #coordinated(key: string, seen: SessionData): Promise<SessionData> {
    const d = this.#d;
    const lock = `refresh:${key}`;
    const deadline = d.now() + d.leaseMs;
    for (;;) {
      const token = await d.locks.acquire(lock, d.leaseMs);
      if (token !== undefined) {
        try {
          // Re-read under the lock: another replica may have refreshed since `seen` was read.
          const current = await d.read(key);
          if (current === undefined) throw new SessionRequired('session ended during refresh');
          if (current.generation !== seen.generation) {
            d.onRefresh?.('joined');
            return current;
          }
          const next = await this.#grant(key, current);
          if (next === current) return current;
          if (await d.sessions.replace(key, d.seal(key, next), d.ttlMs(next), { lock, token })) {
            d.onRefresh?.('ok');
            return next;
          }
          // Lease lost mid-refresh: whatever the successor wrote wins.
          const after = await d.read(key);
          if (after === undefined) throw new SessionRequired('session ended during refresh');
          return after;
        } finally {
          await d.locks.release(lock, token).catch(() => {});
        }
      }
      // Another replica refreshes: wait for its result in the store.
      await Bun.sleep(POLL_MS);
      const current = await d.read(key);
      if (current === undefined) throw new SessionRequired('session ended during refresh');
      if (current.generation !== seen.generation) {
        d.onRefresh?.('joined');
        return current;
      }
      if (d.now() > deadline) return this.#fallback(seen, 'another replica did not finish the refresh in time');
    }
  }

  /** The refresh grant; the same object back when there is nothing to do or the IdP is down. */
  async #grant(key: string, current: SessionData): Promise<SessionData> {
    const d = this.#d;
    if (current.refreshToken === undefined) return this.#fallback(current, 'no refresh token (offline_access not granted)');
    let tokens: TokenSet;
    try {
      tokens = await d.grant(current.refreshToken);
    } catch (err) {
      if (err instanceof IdpRejected) {
        d.onRefresh?.('rejected');
        await d.end(key, 'refresh_rejected');
        throw new SessionRequired(`refresh refused: ${err.detail ?? err.error}`);
      }
      // Bounded: entries only matter for RETRY_MS; a long outage with many sessions starts over.
      if (this.#failedAt.size > 10_000) this.#failedAt.clear();
      this.#failedAt.set(key, d.now());
      d.onRefresh?.('unavailable');
      return this.#fallback(current, err instanceof ZitAuthError ? `${err.code}: ${err.detail ?? err.message}` : String(err));
    }
    this.#failedAt.delete(key);
    const now = d.now();
    const accessClaims = await d.claimsOf(tokens.access_token);
    return {
      ...current,
      accessToken: tokens.access_token,
      accessExpiresAt: accessExpiresAt(tokens.expires_in, accessClaims, now),
      refreshToken: tokens.refresh_token ?? current.refreshToken,
      idToken: tokens.id_token ?? current.idToken,
      claims: mergeClaims(accessClaims, tokens.idTokenClaims ?? current.claims),
      generation: current.generation + 1,
    };
  }

  /** Keep using the current access token while it is valid; else the session waits (503). */
  async #fallback(data: SessionData, why: string): Promise<SessionData> {
    if (this.#d.now() < data.accessExpiresAt) return data;
    if (data.refreshToken === undefined) throw new SessionRequired(`access token expired and ${why}`);
    throw new SessionUnavailable(`access token expired and ${why}`);
  }
}
