/**
 * The key layout in Redis (prefix `zitauth:` by default, ZITAUTH_REDIS_PREFIX). Every key has a
 * TTL; nothing is written without one.
 *
 * | key                              | type   | holds                                         | TTL                         |
 * |----------------------------------|--------|-----------------------------------------------|-----------------------------|
 * | `zitauth:session:{<key>}`        | string | a sealed (encrypted) session                  | idle timeout, sliding       |
 * | `zitauth:sid:{<sha256(sid)>}`    | zset   | session keys of an IdP session, score = expiry| ≥ its longest-lived member  |
 * | `zitauth:sub:{<sha256(sub)>}`    | zset   | session keys of a user, score = expiry        | ≥ its longest-lived member  |
 * | `zitauth:once:{<key>}`           | string | `1`: a used single-use key (state, logout jti)| the key's lifetime          |
 * | `zitauth:lock:<purpose>:{<rest>}`| string | the holder's random token                     | the lease                   |
 * | `zitauth:shared:{<key>}`         | string | a shared value (the cluster's M2M token)      | the value's lifetime        |
 *
 * - `<key>` and lock names come from the gateway (callers hash whatever is secret or outside
 *   data: the session key is a hash of the session id, a once key a hash of the login state or of the
 *   logout token's issuer and `jti`).
 *   Redis keys are binary-safe, so any string works; long ones only cost memory.
 * - `sid` and `sub` come from the IdP's tokens: they are hashed (SHA-256, base64url), so any
 *   bytes or length make a 43-character key, and a key listing shows no user ids.
 * - `{…}` is a Redis Cluster hash tag: the fenced replace touches a session and its refresh lock
 *   (`refresh:<key>`) in one script, and `session:{K}` / `lock:refresh:{K}` share the tag `K`,
 *   so that script would stay in one slot. (Bun's client has no Cluster support; see
 *   docs/deployment.md, "Redis/Valkey".) A lock's tag is its name after the first `:`.
 */
import { createHash } from 'node:crypto';

export class RedisKeys {
  constructor(readonly prefix: string) {}

  session(key: string): string {
    return `${this.prefix}session:{${key}}`;
  }

  /** The back-channel logout index of one `sid` or `sub`. */
  ref(kind: 'sid' | 'sub', value: string): string {
    return `${this.prefix}${kind}:{${createHash('sha256').update(value).digest('base64url')}}`;
  }

  once(key: string): string {
    return `${this.prefix}once:{${key}}`;
  }

  lock(name: string): string {
    const i = name.indexOf(':');
    return i < 0 ? `${this.prefix}lock:{${name}}` : `${this.prefix}lock:${name.slice(0, i + 1)}{${name.slice(i + 1)}}`;
  }

  shared(key: string): string {
    return `${this.prefix}shared:{${key}}`;
  }
}

/** A lifetime as Redis wants it: whole milliseconds, at least 1 (0 or less would be refused). */
export function px(ttlMs: number): string {
  if (!Number.isFinite(ttlMs)) throw new RangeError('a Redis key needs a finite TTL');
  return String(Math.max(1, Math.ceil(ttlMs)));
}
