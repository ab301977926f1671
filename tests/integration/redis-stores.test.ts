/**
 * The state stores' semantics as one table, run against the in-memory stores and the Redis
 * stores on a real redis-server (real time: TTLs are Redis's). Then what only Redis has: TTLs on
 * every key, the key layout, and two "replicas" (two store instances) sharing one server.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { RedisClient } from 'bun';
import { createHash } from 'node:crypto';
import { loadConfig } from '../../src/config/index.ts';
import { createStores } from '../../src/store/index.ts';
import { memoryStores } from '../../src/store/memory/index.ts';
import { redisStores } from '../../src/store/redis/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { haveRedis, startRedis, type RedisServer } from '../support/redis.ts';

const HAVE = haveRedis('tests/integration/redis-stores.test.ts');

let server: RedisServer;
let raw: RedisClient;
const opened: Stores[] = [];
let n = 0;

beforeAll(async () => {
  if (!HAVE) return;
  server = await startRedis();
  raw = await server.raw();
});
afterAll(async () => {
  for (const s of opened) await s.close();
  await server?.close();
});

/** A fresh Redis store under its own prefix (tests do not see each other's keys). */
function redis(prefix = `t${++n}:`): Stores {
  const s = redisStores({ url: server.url, target: 'test', prefix, timeoutMs: 5000 });
  opened.push(s);
  return s;
}

const IMPLS: [string, () => Stores][] = [
  ['memory', () => memoryStores({ maxSessions: 10_000, maxOnce: 10_000 })],
  ['redis', () => redis()],
];

/** Values and names from outside: non-ASCII, CR/LF, quotes, braces (hash-tag syntax), long. */
const HOSTILE = ['山田太郎', 'josé@exämple.com', '管理者 🔑', 'line\r\nSet-Cookie: x=1', `"quoted" 'single' \\ back`, '{tag}}{', ' leading space', 'x'.repeat(10_000)];

describe.each(IMPLS)('%s stores: shared semantics', (kind, make) => {
  const t = HAVE || kind === 'memory' ? test : test.skip;

  t('sessions: put/get round-trip hostile keys and values; absent → undefined; delete', async () => {
    const { sessions } = make();
    for (const [i, v] of HOSTILE.entries()) await sessions.put(`k-${v}`, `${v}-${i}`, 60_000);
    for (const [i, v] of HOSTILE.entries()) expect(await sessions.get(`k-${v}`)).toBe(`${v}-${i}`);
    const big = 'ü'.repeat(100_000);
    await sessions.put('big', big, 60_000);
    expect(await sessions.get('big')).toBe(big);
    expect(await sessions.get('never-written')).toBeUndefined();
    await sessions.delete(`k-${HOSTILE[0]}`);
    expect(await sessions.get(`k-${HOSTILE[0]}`)).toBeUndefined();
    await sessions.delete('never-written'); // no error
  });

  t('sessions: expire after their TTL; touch slides the TTL but never revives an ended session', async () => {
    const { sessions } = make();
    await sessions.put('short', 'v', 100);
    await sessions.put('slid', 'v', 800);
    await sessions.touch('slid', 60_000);
    await sessions.touch('ghost', 60_000);
    await Bun.sleep(1000);
    expect(await sessions.get('short')).toBeUndefined();
    expect(await sessions.get('slid')).toBe('v');
    expect(await sessions.get('ghost')).toBeUndefined();
    // A fractional TTL is rounded up, never refused.
    await sessions.put('frac', 'v', 0.4);
    await Bun.sleep(50);
    expect(await sessions.get('frac')).toBeUndefined();
  });

  t('replace is fenced: only the lock holder writes, only while the session exists', async () => {
    const { sessions, locks } = make();
    const key = 'sess-🔑';
    const lock = `refresh:${key}`;
    await sessions.put(key, 'v0', 60_000);
    const token = (await locks.acquire(lock, 200))!;
    expect(token).toBeString();
    expect(await sessions.replace(key, 'v1', 60_000, { lock, token })).toBe(true);
    expect(await sessions.get(key)).toBe('v1');
    expect(await sessions.replace(key, 'forged', 60_000, { lock, token: 'not-the-token' })).toBe(false);
    expect(await sessions.replace(key, 'other-lock', 60_000, { lock: 'refresh:other', token })).toBe(false);
    await Bun.sleep(400); // the lease lapses
    expect(await sessions.replace(key, 'late', 60_000, { lock, token })).toBe(false);
    const successor = (await locks.acquire(lock, 60_000))!;
    expect(await sessions.replace(key, 'late', 60_000, { lock, token })).toBe(false);
    expect(await sessions.replace(key, 'v2', 60_000, { lock, token: successor })).toBe(true);
    expect(await sessions.get(key)).toBe('v2');
    // An ended session does not come back through a replace.
    await sessions.delete(key);
    expect(await sessions.replace(key, 'revived', 60_000, { lock, token: successor })).toBe(false);
    expect(await sessions.get(key)).toBeUndefined();
  });

  t('the back-channel index finds sessions by sid and by sub; hostile sid/sub; expired entries drop out', async () => {
    const { sessions } = make();
    for (const [i, v] of HOSTILE.entries()) {
      await sessions.index(`k${i}`, { sid: `sid-${v}`, sub: `sub-${v}` }, 60_000);
      await sessions.index(`k${i}-2`, { sub: `sub-${v}` }, 60_000);
    }
    for (const [i, v] of HOSTILE.entries()) {
      expect(await sessions.lookup('sid', `sid-${v}`)).toEqual([`k${i}`]);
      expect((await sessions.lookup('sub', `sub-${v}`)).sort()).toEqual([`k${i}`, `k${i}-2`]);
    }
    expect(await sessions.lookup('sid', 'sub-山田太郎')).toEqual([]); // kinds are separate
    expect(await sessions.lookup('sub', 'nobody')).toEqual([]);
    await sessions.index('brief', { sid: 'sid-brief', sub: 'sub-mixed' }, 100);
    await sessions.index('long', { sub: 'sub-mixed' }, 60_000);
    await Bun.sleep(400);
    expect(await sessions.lookup('sid', 'sid-brief')).toEqual([]);
    expect(await sessions.lookup('sub', 'sub-mixed')).toEqual(['long']);
    // Re-indexing a session replaces its expiry.
    await sessions.index('brief', { sid: 'sid-brief', sub: 'sub-mixed' }, 60_000);
    expect((await sessions.lookup('sub', 'sub-mixed')).sort()).toEqual(['brief', 'long']);
  });

  t('once: the first claim wins within the lifetime, then the key is free again; hostile keys', async () => {
    const { once } = make();
    for (const v of HOSTILE) {
      expect(await once.claim(`login-state:${v}`, 60_000)).toBe(true);
      expect(await once.claim(`login-state:${v}`, 60_000)).toBe(false);
    }
    expect(await once.claim('short', 100)).toBe(true);
    await Bun.sleep(300);
    expect(await once.claim('short', 100)).toBe(true);
  });

  t('once: of 50 concurrent claims exactly one wins', async () => {
    const { once } = make();
    const results = await Promise.all(Array.from({ length: 50 }, () => once.claim('raced-state', 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  t('locks: one holder (also of 50 concurrent acquires); release only by its token; a lapsed lease frees the key', async () => {
    const { locks } = make();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => locks.acquire('m2m:token-🔑', 60_000)));
    const held = tokens.filter((x) => x !== undefined);
    expect(held).toHaveLength(1);
    expect(await locks.holds('m2m:token-🔑', held[0]!)).toBe(true);
    await locks.release('m2m:token-🔑', 'not-the-token');
    expect(await locks.holds('m2m:token-🔑', held[0]!)).toBe(true);
    await locks.release('m2m:token-🔑', held[0]!);
    expect(await locks.holds('m2m:token-🔑', held[0]!)).toBe(false);

    const t1 = (await locks.acquire('k\r\n{x}', 100))!;
    expect(await locks.acquire('k\r\n{x}', 100)).toBeUndefined();
    await Bun.sleep(300);
    expect(await locks.holds('k\r\n{x}', t1)).toBe(false);
    const t2 = (await locks.acquire('k\r\n{x}', 60_000))!;
    expect(t2).not.toBe(t1);
    await locks.release('k\r\n{x}', t1); // the old holder cannot release its successor's lock
    expect(await locks.holds('k\r\n{x}', t2)).toBe(true);
  });

  t('shared values: set/get, overwrite, expiry; hostile keys and values', async () => {
    const { shared } = make();
    for (const v of HOSTILE) await shared.set(`m2m:${v}`, `token ${v}`, 60_000);
    for (const v of HOSTILE) expect(await shared.get(`m2m:${v}`)).toBe(`token ${v}`);
    await shared.set('m2m:x', 'first', 60_000);
    await shared.set('m2m:x', 'second', 100);
    expect(await shared.get('m2m:x')).toBe('second');
    await Bun.sleep(300);
    expect(await shared.get('m2m:x')).toBeUndefined();
    expect(await shared.get('never')).toBeUndefined();
  });

  t('healthy, and kind', async () => {
    const s = make();
    expect(s.kind).toBe(kind as Stores['kind']);
    expect(await s.healthy()).toBe(true);
  });
});

describe.skipIf(!HAVE)('redis stores: what only Redis has', () => {
  /** Every key under `prefix` with its PTTL. */
  async function keysOf(prefix: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, batch] = (await raw.send('SCAN', [cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [string, string[]];
      for (const k of batch) out.set(k, (await raw.send('PTTL', [k])) as number);
      cursor = next;
    } while (cursor !== '0');
    return out;
  }

  test('every key written carries a TTL, under the documented layout (sid/sub hashed, prefix on all)', async () => {
    const prefix = 'ttl-check:';
    const s = redis(prefix);
    const sid = 'sid\r\n山田{}';
    const sub = 'sub-josé@exämple.com';
    await s.sessions.put('K1', 'sealed', 60_000);
    await s.sessions.index('K1', { sid, sub }, 120_000);
    await s.sessions.touch('K1', 90_000);
    const token = (await s.locks.acquire('refresh:K1', 30_000))!;
    expect(await s.sessions.replace('K1', 'sealed-2', 70_000, { lock: 'refresh:K1', token })).toBe(true);
    await s.once.claim('login-state:abc', 600_000);
    await s.shared.set('m2m:token', 'at', 40_000);
    const keys = await keysOf(prefix);
    const hash = (v: string) => createHash('sha256').update(v).digest('base64url');
    expect([...keys.keys()].sort()).toEqual(
      [`${prefix}session:{K1}`, `${prefix}sid:{${hash(sid)}}`, `${prefix}sub:{${hash(sub)}}`, `${prefix}lock:refresh:{K1}`, `${prefix}once:{login-state:abc}`, `${prefix}shared:{m2m:token}`].sort(),
    );
    for (const [k, pttl] of keys) {
      expect(pttl, k).toBeGreaterThan(0);
    }
    // Each TTL is the one asked for (bounded above by it, well above zero).
    const within = (k: string, max: number) => {
      expect(keys.get(k)!).toBeLessThanOrEqual(max);
      expect(keys.get(k)!).toBeGreaterThan(max - 30_000);
    };
    within(`${prefix}session:{K1}`, 70_000); // replace set its PX
    within(`${prefix}sid:{${hash(sid)}}`, 120_000);
    within(`${prefix}lock:refresh:{K1}`, 30_000);
    within(`${prefix}once:{login-state:abc}`, 600_000);
    within(`${prefix}shared:{m2m:token}`, 40_000);
    expect(await raw.send('TYPE', [`${prefix}sub:{${hash(sub)}}`])).toBe('zset');
    // The TTL command (seconds) agrees: nothing is persistent (-1) anywhere under the prefix.
    for (const k of keys.keys()) expect((await raw.send('TTL', [k])) as number).toBeGreaterThan(0);
  });

  test('touch sets the session TTL; an index TTL is raised to its longest entry, never lowered; expired entries are pruned', async () => {
    const prefix = 'slide:';
    const s = redis(prefix);
    await s.sessions.put('K', 'v', 5_000);
    await s.sessions.touch('K', 300_000);
    expect((await raw.send('PTTL', [`${prefix}session:{K}`])) as number).toBeGreaterThan(200_000);
    await s.sessions.index('K', { sub: 'u' }, 300_000);
    await s.sessions.index('K2', { sub: 'u' }, 60_000);
    const subKey = `${prefix}sub:{${createHash('sha256').update('u').digest('base64url')}}`;
    expect((await raw.send('PTTL', [subKey])) as number).toBeGreaterThan(200_000);
    await s.sessions.index('K3', { sub: 'u' }, 100);
    await Bun.sleep(300);
    await s.sessions.index('K4', { sub: 'u' }, 300_000); // prunes K3's lapsed entry
    expect((await raw.send('ZRANGE', [subKey, '0', '-1'])) as string[]).toEqual(['K2', 'K', 'K4']);
  });

  test('two replicas (two store instances) see each other’s writes, fences, claims and locks', async () => {
    const prefix = 'replicas:';
    const a = redis(prefix);
    const b = redis(prefix);
    await a.sessions.put('S', '山田太郎', 60_000);
    await a.sessions.index('S', { sid: 'sid-1', sub: 'sub-1' }, 60_000);
    expect(await b.sessions.get('S')).toBe('山田太郎');
    expect(await b.sessions.lookup('sid', 'sid-1')).toEqual(['S']);
    const token = (await a.locks.acquire('refresh:S', 60_000))!;
    expect(await b.locks.acquire('refresh:S', 60_000)).toBeUndefined();
    expect(await b.locks.holds('refresh:S', token)).toBe(true);
    expect(await b.sessions.replace('S', 'by b, with a’s token', 60_000, { lock: 'refresh:S', token })).toBe(true);
    expect(await a.sessions.get('S')).toBe('by b, with a’s token');
    await b.locks.release('refresh:S', token);
    expect(await a.locks.holds('refresh:S', token)).toBe(false);
    await b.sessions.delete('S');
    expect(await a.sessions.get('S')).toBeUndefined();
    await a.shared.set('m2m:token', 'one per cluster', 60_000);
    expect(await b.shared.get('m2m:token')).toBe('one per cluster');
    // 50 concurrent claims of one login state, alternating between the replicas: one wins.
    const claims = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).once.claim('login-state:replayed', 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const locks = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).locks.acquire('m2m:refresh', 60_000)));
    expect(locks.filter((x) => x !== undefined)).toHaveLength(1);
  });

  test('prefixes isolate deployments sharing one Redis', async () => {
    const a = redis('app-a:');
    const b = redis('app-b:');
    await a.sessions.put('same', 'A', 60_000);
    expect(await b.sessions.get('same')).toBeUndefined();
    expect(await a.once.claim('s', 60_000)).toBe(true);
    expect(await b.once.claim('s', 60_000)).toBe(true);
  });

  test('the database in the URL is used', async () => {
    const s = redisStores({ url: `${server.url}/5`, target: 'test', prefix: 'db5:', timeoutMs: 5000 });
    opened.push(s);
    await s.shared.set('x', 'in db 5', 60_000);
    const db5 = new RedisClient(`${server.url}/5`);
    expect(await db5.get('db5:shared:{x}')).toBe('in db 5');
    db5.close();
    expect(await raw.get('db5:shared:{x}')).toBeNull(); // not in db 0
  });

  test('createStores picks Redis from the configuration', async () => {
    const config = loadConfig({
      ZITADEL_DOMAIN: 'https://idp.example',
      ZITADEL_CLIENT_ID: 'c@zitauth',
      ZITADEL_REDIRECT_URL: 'https://gw.example/api/v1/callback',
      SPA_ORIGIN: 'https://app.example',
      ZITAUTH_COOKIE_SECRET: 'ü'.repeat(40),
      ZITAUTH_SESSION_STORE: 'redis',
      ZITAUTH_REDIS_URL: server.url,
      ZITAUTH_REDIS_PREFIX: 'from-config:',
    });
    const s = createStores(config);
    opened.push(s);
    expect(s.kind).toBe('redis');
    await s.once.claim('k', 60_000);
    expect((await raw.send('PTTL', ['from-config:once:{k}'])) as number).toBeGreaterThan(0);
  });
});
