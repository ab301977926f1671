/**
 * Redis faults with a real redis-server: stopped (calls fail at once, not by the timeout),
 * down at start-up, hung (SIGSTOP: calls time out), a half-open connection (a proxy that stops
 * forwarding), refused commands, wrong credentials — each a StoreUnavailable with its reason,
 * and each followed by recovery of the same store objects, without a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Socket } from 'bun';
import { join } from 'node:path';
import { redisStores, StoreUnavailable, type StoreFailure } from '../../src/store/redis/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { haveRedis, startRedis, type RedisServer } from '../support/redis.ts';

const HAVE = haveRedis('tests/integration/redis-faults.test.ts');

const opened: Stores[] = [];
const servers: RedisServer[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  for (const s of servers) await s.close();
});

async function server(opts?: Parameters<typeof startRedis>[0]): Promise<RedisServer> {
  const s = await startRedis(opts);
  servers.push(s);
  return s;
}

function stores(url: string, timeoutMs: number, failures?: StoreFailure[]) {
  const s = redisStores({ url, target: 'redis://127.0.0.1/0', prefix: 'faults:', timeoutMs }, { onFailure: (f) => failures?.push(f) });
  opened.push(s);
  return s;
}

/** The StoreUnavailable a call fails with (the test fails if it succeeds or throws anything else). */
async function failure(p: Promise<unknown>): Promise<StoreUnavailable> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreUnavailable);
    return err as StoreUnavailable;
  }
  throw new Error('expected the call to fail');
}

/** Polls `healthy()` until the store answers again (the reconnect back-off is at most 1 s). */
async function recovered(s: Stores): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await s.healthy())) {
    if (Date.now() > deadline) throw new Error('the store did not recover');
    await Bun.sleep(50);
  }
}

/** Every operation of every store, once (for "they all fail the same way"). */
function everyOperation(s: Stores): Promise<unknown>[] {
  return [
    s.sessions.get('k'),
    s.sessions.put('k', 'v', 60_000),
    s.sessions.replace('k', 'v', 60_000, { lock: 'refresh:k', token: 't' }),
    s.sessions.touch('k', 60_000),
    s.sessions.delete('k'),
    s.sessions.index('k', { sid: 'sid', sub: 'sub' }, 60_000),
    s.sessions.lookup('sub', 'sub'),
    s.once.claim('state', 60_000),
    s.locks.acquire('refresh:k', 60_000),
    s.locks.release('refresh:k', 't'),
    s.locks.holds('refresh:k', 't'),
    s.shared.get('m2m'),
    s.shared.set('m2m', 'v', 60_000),
  ];
}

describe.skipIf(!HAVE)('redis faults', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await server();
  });

  test('stopped: every call fails at once (not by the timeout) as StoreUnavailable; restarted on the same port: the same stores work again', async () => {
    const failures: StoreFailure[] = [];
    // A timeout far beyond the test's own: a call waiting for it would fail the test.
    const s = stores(redis.url, 60_000, failures);
    await s.sessions.put('before', '山田太郎', 60_000);
    expect(await s.healthy()).toBe(true);
    await redis.stop();
    const calls = everyOperation(s);
    for (const e of await Promise.all(calls.map((p) => failure(p)))) {
      expect(['unreachable', 'connection_lost']).toContain(e.failure);
      expect(e.status).toBe(503);
      expect(e.detail).toContain('redis redis://127.0.0.1/0');
    }
    expect(await s.healthy()).toBe(false);
    // Every failed call is reported (metrics), none as a timeout.
    expect(failures.length).toBeGreaterThanOrEqual(calls.length + 1);
    expect(failures.filter((f) => f !== 'unreachable' && f !== 'connection_lost')).toEqual([]);
    await redis.start();
    await recovered(s);
    expect(await s.sessions.get('before')).toBeUndefined(); // a new server: nothing was persisted
    await s.sessions.put('after', 'josé', 60_000);
    const token = (await s.locks.acquire('refresh:after', 60_000))!;
    // The scripts work on the new server too (its script cache is empty: EVALSHA → NOSCRIPT → EVAL).
    expect(await s.sessions.replace('after', 'josé 2', 60_000, { lock: 'refresh:after', token })).toBe(true);
    expect(await s.sessions.get('after')).toBe('josé 2');
  }, 20_000);

  test('down at start-up: the stores are created anyway, calls fail, and work once Redis is up', async () => {
    await redis.stop();
    const s = stores(redis.url, 60_000);
    expect((await failure(s.once.claim('x', 60_000))).failure).toBe('unreachable');
    expect(await s.healthy()).toBe(false);
    await redis.start();
    await recovered(s);
    expect(await s.once.claim('x', 60_000)).toBe(true);
  }, 20_000);

  test('hung (SIGSTOP): calls fail by the timeout and stay failed; after SIGCONT the same stores work again', async () => {
    const failures: StoreFailure[] = [];
    const s = stores(redis.url, 300, failures);
    await s.shared.set('kept', 'before the pause', 60_000);
    redis.pause();
    try {
      let settlements = 0;
      const pending = s.shared.get('kept');
      pending.then(
        () => settlements++,
        () => settlements++,
      );
      const outcomes = await Promise.all([pending, ...everyOperation(s)].map((p) => failure(p)));
      expect(outcomes.map((e) => e.failure)).toEqual(Array(outcomes.length).fill('timeout'));
      expect(await s.healthy()).toBe(false);
      redis.resume();
      await recovered(s);
      // The server kept its data; the timed-out read never settled a second time.
      expect(await s.shared.get('kept')).toBe('before the pause');
      await Bun.sleep(100);
      expect(settlements).toBe(1);
      expect(failures.filter((f) => f !== 'timeout' && f !== 'unreachable')).toEqual([]);
    } finally {
      redis.resume();
    }
  }, 20_000);

  test('a half-open connection (nothing comes back, say after a failover) is dropped; the next call connects afresh', async () => {
    const proxy = await startProxy(redis.port);
    try {
      const s = stores(`redis://127.0.0.1:${proxy.port}`, 300);
      await s.sessions.put('through-proxy', 'v', 60_000);
      proxy.blackholeOpen();
      expect((await failure(s.sessions.get('through-proxy'))).failure).toBe('timeout');
      // New connections are forwarded again; the store must open one rather than wait on the dead one.
      await recovered(s);
      expect(await s.sessions.get('through-proxy')).toBe('v');
      expect(proxy.connections()).toBeGreaterThanOrEqual(2);
    } finally {
      proxy.stop();
    }
  }, 20_000);

  test('a refused command (out of memory under noeviction) is command_failed; reads and the connection stay usable', async () => {
    const s = stores(redis.url, 5_000);
    await s.sessions.put('existing', 'v', 60_000);
    const raw = await redis.raw();
    await raw.send('CONFIG', ['SET', 'maxmemory-policy', 'noeviction']);
    await raw.send('CONFIG', ['SET', 'maxmemory', '1']);
    try {
      const e = await failure(s.sessions.put('new', 'v', 60_000));
      expect(e.failure).toBe('command_failed');
      expect(e.detail).toContain('OOM');
      expect(await s.sessions.get('existing')).toBe('v');
    } finally {
      await raw.send('CONFIG', ['SET', 'maxmemory', '0']);
    }
    expect(await s.once.claim('after-oom', 60_000)).toBe(true);
  });

  test('a lost script cache (SCRIPT FLUSH) is refilled on the next call', async () => {
    const s = stores(redis.url, 5_000);
    await s.sessions.index('k', { sub: 'u' }, 60_000);
    const raw = await redis.raw();
    await raw.send('SCRIPT', ['FLUSH']);
    await s.sessions.index('k2', { sub: 'u' }, 60_000);
    expect((await s.sessions.lookup('sub', 'u')).sort()).toEqual(['k', 'k2']);
  });

  test('close(): later calls fail as closed', async () => {
    const s = stores(redis.url, 5_000);
    expect(await s.healthy()).toBe(true);
    await s.close();
    expect((await failure(s.sessions.get('k'))).failure).toBe('closed');
    expect(await s.healthy()).toBe(false);
  });
});

describe.skipIf(!HAVE)('redis credentials', () => {
  const PASSWORD = 'pä ss:@/w🔑"\'';
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await server({ password: PASSWORD });
  });

  test('user:password@ in the URL (percent-encoded, non-ASCII) authenticates', async () => {
    const s = stores(redis.url, 5_000);
    expect(await s.once.claim('k', 60_000)).toBe(true);
    const raw = await redis.raw();
    await raw.send('ACL', ['SETUSER', 'gateway', 'on', `>${PASSWORD}`, '~faults:*', '+@all']);
    const asUser = stores(redis.url.replace('redis://:', 'redis://gateway:'), 5_000);
    expect(await asUser.once.claim('k', 60_000)).toBe(false); // same keys, another user
  });

  test('the least-privilege ACL user of docs/deployment.md is enough for every operation', async () => {
    const docs = await Bun.file(join(import.meta.dir, '../../docs/deployment.md')).text();
    const line = docs.split('\n').find((l) => l.startsWith('ACL SETUSER zitauth '));
    expect(line).toBeString();
    const raw = await redis.raw();
    const args = line!.split(' ').slice(1).map((a) => (a === '>change-me' ? '>zitauth-ü-pass' : a));
    expect(await raw.send('ACL', args)).toBe('OK');
    await raw.send('ACL', ['LOG', 'RESET']);
    const s = redisStores({ url: `${redis.url.replace(/\/\/:[^@]+@/, `//zitauth:${encodeURIComponent('zitauth-ü-pass')}@`)}/3`, target: 'acl', prefix: 'zitauth:', timeoutMs: 5_000 });
    opened.push(s);
    for (const p of everyOperation(s)) await p;
    await raw.send('SCRIPT', ['FLUSH']); // EVAL after NOSCRIPT is allowed too
    for (const p of everyOperation(s)) await p;
    expect(await s.healthy()).toBe(true);
    expect(await raw.send('ACL', ['LOG'])).toEqual([]);
    // And the user is confined to its prefix.
    const other = redisStores({ url: `${redis.url.replace(/\/\/:[^@]+@/, `//zitauth:${encodeURIComponent('zitauth-ü-pass')}@`)}/3`, target: 'acl', prefix: 'other:', timeoutMs: 5_000 });
    opened.push(other);
    expect((await failure(other.sessions.get('k'))).failure).toBe('command_failed');
  });

  test.each([
    ['a wrong password', (url: string) => url.replace(/:[^:@]+@/, ':wrong@')],
    ['no password', (url: string) => url.replace(/\/\/:[^@]+@/, '//')],
  ])('%s: unreachable, and the detail never shows the password', async (_, edit) => {
    const s = stores(edit(redis.url), 5_000);
    const e = await failure(s.sessions.get('k'));
    expect(e.failure).toBe('unreachable');
    for (const leak of [PASSWORD, encodeURIComponent(PASSWORD), 'wrong']) {
      expect(e.detail ?? '').not.toContain(leak);
      expect(e.message).not.toContain(leak);
    }
  });
});

/**
 * A TCP proxy in front of Redis that can turn its open connections into half-open ones: bytes
 * are swallowed both ways, the sockets stay open. New connections are forwarded normally.
 */
async function startProxy(targetPort: number) {
  interface Conn {
    client: Socket<Conn>;
    upstream?: Socket<undefined>;
    pending: Uint8Array[];
    dead: boolean;
  }
  const conns = new Set<Conn>();
  let total = 0;
  const listener = Bun.listen<Conn>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      async open(client) {
        const c: Conn = { client, pending: [], dead: false };
        client.data = c;
        conns.add(c);
        total++;
        c.upstream = await Bun.connect({
          hostname: '127.0.0.1',
          port: targetPort,
          socket: {
            data(_, d) {
              if (!c.dead) client.write(d);
            },
            close() {
              if (!c.dead) client.end();
            },
          },
        });
        for (const d of c.pending) c.upstream.write(d);
        c.pending = [];
      },
      data(client, d) {
        const c = client.data;
        if (c.dead) return;
        if (c.upstream === undefined) c.pending.push(new Uint8Array(d));
        else c.upstream.write(d);
      },
      close(client) {
        client.data.upstream?.end();
        conns.delete(client.data);
      },
    },
  });
  return {
    port: listener.port,
    blackholeOpen() {
      for (const c of conns) c.dead = true;
    },
    connections: () => total,
    stop() {
      listener.stop(true);
      for (const c of conns) {
        c.upstream?.end();
        c.client.end();
      }
    },
  };
}
