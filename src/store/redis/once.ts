/** Single-use keys in Redis (login states, back-channel logout `jti`s): the first SET NX wins on every replica. */
import type { OnceSet } from '../types.ts';
import type { RedisConnection } from './client.ts';
import { px, type RedisKeys } from './keys.ts';

export class RedisOnceSet implements OnceSet {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
  ) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    // SET NX is atomic in Redis: of any number of concurrent claims on any replicas, one gets OK.
    return (await this.redis.send<string | null>('SET', [this.keys.once(key), '1', 'NX', 'PX', px(ttlMs)])) === 'OK';
  }
}
