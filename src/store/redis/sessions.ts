/**
 * Sessions in Redis/Valkey, shared by every replica: a string per session (the sealed value,
 * PX = the idle timeout, slid by PEXPIRE on use), the fenced replace as one script, and the
 * back-channel logout index as one sorted set per `sid` and per `sub` (see keys.ts, scripts.ts).
 */
import type { SessionStore } from '../types.ts';
import type { RedisConnection } from './client.ts';
import { px, type RedisKeys } from './keys.ts';
import { INDEX_ADD, INDEX_LOOKUP, REPLACE_FENCED } from './scripts.ts';

export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.send<string | null>('GET', [this.keys.session(key)])) ?? undefined;
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.send('SET', [this.keys.session(key), value, 'PX', px(ttlMs)]);
  }

  async replace(key: string, value: string, ttlMs: number, fence: { lock: string; token: string }): Promise<boolean> {
    const written = await this.redis.eval<number>(REPLACE_FENCED, [this.keys.session(key), this.keys.lock(fence.lock)], [fence.token, value, px(ttlMs)]);
    return written === 1;
  }

  async touch(key: string, ttlMs: number): Promise<void> {
    // PEXPIRE on a missing key does nothing: an ended session is not revived.
    await this.redis.send('PEXPIRE', [this.keys.session(key), px(ttlMs)]);
  }

  async delete(key: string): Promise<void> {
    await this.redis.send('DEL', [this.keys.session(key)]);
  }

  async index(key: string, refs: { sid?: string | undefined; sub: string }, ttlMs: number): Promise<void> {
    const ttl = px(ttlMs);
    const sets = refs.sid === undefined ? [this.keys.ref('sub', refs.sub)] : [this.keys.ref('sid', refs.sid), this.keys.ref('sub', refs.sub)];
    // One script per set (each a single key, so each stays in one Cluster slot); pipelined.
    await Promise.all(sets.map((set) => this.redis.eval(INDEX_ADD, [set], [key, ttl])));
  }

  async lookup(kind: 'sid' | 'sub', value: string): Promise<string[]> {
    return (await this.redis.eval<string[] | null>(INDEX_LOOKUP, [this.keys.ref(kind, value)], [])) ?? [];
  }
}
