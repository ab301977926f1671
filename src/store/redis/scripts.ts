/**
 * The Lua scripts: each runs atomically in Redis, where a read-then-write from the client would
 * race another replica. Each touches only keys it is given in KEYS, and the only two-key one
 * (the fenced replace) gets keys with the same hash tag (see keys.ts).
 *
 * Time inside scripts is Redis's own (`TIME`), so replicas with skewed clocks agree on expiry.
 *
 * @see https://redis.io/docs/latest/develop/interact/programmability/eval-intro/
 * @see https://redis.io/docs/latest/develop/use/patterns/distributed-locks/ (token + compare on release)
 */
import { LuaScript } from './client.ts';

/** Redis's clock in epoch milliseconds, as a Lua number (exact: < 2^53). */
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Fenced replace: write the session only while the refresh lock still holds the writer's token
 * AND the session still exists (a holder whose lease ran out must not overwrite its successor's
 * tokens; a session ended meanwhile must not come back). The new value gets the given PX.
 * KEYS: session, lock. ARGV: token, value, ttl ms. → 1 written, 0 refused.
 */
export const REPLACE_FENCED = new LuaScript(
  'replace',
  `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('SET', KEYS[1], ARGV[2], 'XX', 'PX', ARGV[3]) then return 1 end
return 0`,
);

/**
 * Adds a session key to one back-channel index (sid or sub): a sorted set scored by the entry's
 * expiry. Entries past their expiry are pruned on the way (so a user's index holds only sessions
 * that may still live), and the set's own TTL is raised to at least this entry's — never lowered,
 * so a short-lived entry cannot cut a longer one short. In one script, so the set never exists
 * without a TTL.
 * KEYS: index. ARGV: session key, ttl ms. → the number of live entries.
 */
export const INDEX_ADD = new LuaScript(
  'index',
  `${NOW_MS}
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
redis.call('ZADD', KEYS[1], string.format('%d', now + ttl), ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return redis.call('ZCARD', KEYS[1])`,
);

/**
 * The live entries of a back-channel index (expiry after Redis's now).
 * KEYS: index. → session keys.
 */
export const INDEX_LOOKUP = new LuaScript(
  'lookup',
  `${NOW_MS}
return redis.call('ZRANGEBYSCORE', KEYS[1], string.format('(%d', now), '+inf')`,
);

/**
 * Releases a lock only if it still holds the caller's token (a lapsed holder must not delete its
 * successor's lock). KEYS: lock. ARGV: token. → 1 released, 0 not held.
 */
export const RELEASE_LOCK = new LuaScript(
  'release',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);
