/** The deployment's state backend (ZITAUTH_SESSION_STORE). */
import type { Config } from '../config/index.ts';
import { memoryStores } from './memory/index.ts';
import { redisStores } from './redis/index.ts';
import type { StoreFailure } from './redis/errors.ts';
import type { Stores } from './types.ts';

export type { Stores, SessionStore, OnceSet, Locks, SharedValues } from './types.ts';
export { StoreUnavailable, type StoreFailure } from './redis/errors.ts';

/**
 * `now` drives the memory stores' expiry (tests); Redis keeps time itself. `onFailure` hears of
 * every failed Redis call (metrics, a rate-limited warning).
 */
export function createStores(config: Config, now?: () => number, onFailure?: (failure: StoreFailure) => void): Stores {
  if (config.store.kind === 'redis') return redisStores(config.store, { onFailure });
  return memoryStores({ maxSessions: config.session.maxCount, maxOnce: 100_000, now });
}
