/**
 * Leased locks and shared values in Redis, for the whole cluster: a lock is `SET NX PX` with a
 * random token (the lease bounds how long a crashed holder blocks the others), released only by
 * a script that compares the token first.
 */
import { randomBytes } from 'node:crypto';
import type { Locks, SharedValues } from '../types.ts';
import type { RedisConnection } from './client.ts';
import { px, type RedisKeys } from './keys.ts';
import { RELEASE_LOCK } from './scripts.ts';

export class RedisLocks implements Locks {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
  ) {}

  async acquire(key: string, leaseMs: number): Promise<string | undefined> {
    const token = randomBytes(16).toString('base64url');
    const ok = await this.redis.send<string | null>('SET', [this.keys.lock(key), token, 'NX', 'PX', px(leaseMs)]);
    return ok === 'OK' ? token : undefined;
  }

  async release(key: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE_LOCK, [this.keys.lock(key)], [token]);
  }

  async holds(key: string, token: string): Promise<boolean> {
    // One GET is atomic on its own: the lock holds this token at the moment Redis answers.
    return (await this.redis.send<string | null>('GET', [this.keys.lock(key)])) === token;
  }
}

export class RedisSharedValues implements SharedValues {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.send<string | null>('GET', [this.keys.shared(key)])) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.send('SET', [this.keys.shared(key), value, 'PX', px(ttlMs)]);
  }
}
