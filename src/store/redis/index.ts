import type { RedisConfig } from '../../config/types.ts';
import type { Stores } from '../types.ts';
import { RedisConnection } from './client.ts';
import type { StoreFailure } from './errors.ts';
import { RedisKeys } from './keys.ts';
import { RedisLocks, RedisSharedValues } from './locks.ts';
import { RedisOnceSet } from './once.ts';
import { RedisSessionStore } from './sessions.ts';

export { RedisConnection, LuaScript } from './client.ts';
export { StoreUnavailable, type StoreFailure } from './errors.ts';
export { RedisKeys } from './keys.ts';
export { RedisSessionStore, RedisOnceSet, RedisLocks, RedisSharedValues };

/**
 * Everything in one Redis/Valkey database, over one connection (ZITAUTH_SESSION_STORE=redis):
 * what every replica shares. Nothing connects until the first call; a Redis that is down at
 * start-up makes calls fail with StoreUnavailable until it is up (the gateway still starts).
 * Lifetimes are Redis's: the injected clock of the memory stores has no say here.
 */
export function redisStores(config: Pick<RedisConfig, 'url' | 'target' | 'prefix' | 'timeoutMs'>, opts: { onFailure?: (failure: StoreFailure) => void } = {}): Stores & { redis: RedisConnection } {
  const redis = new RedisConnection({ url: config.url, target: config.target, timeoutMs: config.timeoutMs, onFailure: opts.onFailure });
  const keys = new RedisKeys(config.prefix);
  return {
    kind: 'redis',
    sessions: new RedisSessionStore(redis, keys),
    once: new RedisOnceSet(redis, keys),
    locks: new RedisLocks(redis, keys),
    shared: new RedisSharedValues(redis, keys),
    healthy: () => redis.healthy(),
    close: () => redis.close(),
    redis,
  };
}
