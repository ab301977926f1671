/** The deployment's state backend (ZITAUTH_SESSION_STORE). */
import type { Config } from '../config/index.ts';
import { memoryStores } from './memory/index.ts';
import type { Stores } from './types.ts';

export type { Stores, SessionStore, OnceSet, Locks, SharedValues } from './types.ts';

export function createStores(config: Config, now?: () => number): Stores {
  return memoryStores({ maxSessions: config.session.maxCount, maxOnce: 100_000, now });
}
