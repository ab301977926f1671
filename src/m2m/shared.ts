/**
 * One M2M token for the whole cluster: replicas share the service user's token through the
 * store (encrypted, with a TTL), and a leased lock lets one replica at a time ask the IdP — so
 * N replicas make one JWT-profile grant per token lifetime, not N. A holder that crashed blocks
 * the others for at most its lease; after it, the next replica asks the IdP itself.
 *
 * With the memory store (one replica) this adds nothing but a map lookup in front of the IdP call.
 */
import { SessionCipher } from '../session/cipher.ts';
import type { Locks, SharedValues } from '../store/types.ts';
import type { TokenResponse } from './broker.ts';

interface Shared {
  access_token: string;
  token_type: string;
  /** Epoch ms. */
  expiresAt: number;
}

const POLL_MS = 50;

export function sharedTokenSource(deps: {
  fetchToken: () => Promise<TokenResponse>;
  shared: SharedValues;
  locks: Locks;
  /** ZITAUTH_COOKIE_SECRET: the token is encrypted in the store like the sessions. */
  secret: string;
  /** Distinguishes service users (the key file's userId). */
  id: string;
  /** A shared token with less than this left is not taken: the caller wants a fresh one. */
  minRemainingMs: number;
  leaseMs: number;
  now: () => number;
  /** A store failure (the caller logs it); the IdP is then asked directly. */
  onStoreError?: (err: unknown) => void;
}): () => Promise<TokenResponse> {
  const cipher = new SessionCipher(deps.secret, 'm2m-token v1');
  const key = `m2m:${deps.id}`;
  const lock = `m2m:${deps.id}`;

  const read = async (): Promise<TokenResponse | undefined> => {
    const sealed = await deps.shared.get(key);
    const text = sealed === undefined ? undefined : cipher.open(key, sealed);
    if (text === undefined) return undefined;
    const t = JSON.parse(text) as Shared;
    const left = t.expiresAt - deps.now();
    if (left < deps.minRemainingMs) return undefined;
    return { access_token: t.access_token, token_type: t.token_type, expires_in: Math.floor(left / 1000) };
  };

  const fetchAndShare = async (): Promise<TokenResponse> => {
    const t = await deps.fetchToken();
    const value: Shared = { access_token: t.access_token, token_type: t.token_type, expiresAt: deps.now() + t.expires_in * 1000 };
    await deps.shared.set(key, cipher.seal(key, JSON.stringify(value)), t.expires_in * 1000).catch((err) => deps.onStoreError?.(err));
    return t;
  };

  /** A store call, or DOWN when the store failed (reported; the caller then asks the IdP itself). */
  const store = async <T>(op: () => Promise<T>): Promise<T | typeof DOWN> => {
    try {
      return await op();
    } catch (err) {
      deps.onStoreError?.(err);
      return DOWN;
    }
  };

  return async () => {
    const deadline = deps.now() + deps.leaseMs;
    for (;;) {
      const cached = await store(read);
      if (cached === DOWN) return deps.fetchToken();
      if (cached !== undefined) return cached;
      const token = await store(() => deps.locks.acquire(lock, deps.leaseMs));
      if (token === DOWN) return deps.fetchToken();
      if (token !== undefined) {
        try {
          // Another replica may have shared one between our read and the lock.
          const again = await store(read);
          return again !== DOWN && again !== undefined ? again : await fetchAndShare();
        } finally {
          await store(() => deps.locks.release(lock, token));
        }
      }
      // Another replica is asking the IdP; past its lease, ask ourselves.
      if (deps.now() > deadline) return deps.fetchToken();
      await Bun.sleep(POLL_MS);
    }
  };
}

const DOWN = Symbol('store down');
