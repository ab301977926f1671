/**
 * Beyond one machine (issue 14): two gateway replicas in session mode behind a real nginx
 * (round robin), sharing one real Redis, in both configuration modes. A session made on one
 * replica works on the other and survives a restart of both; a callback replayed on the other
 * replica is refused by the gateway itself; 50 concurrent proxied calls across both as the token
 * nears expiry make exactly one refresh grant and no failed call; a back-channel logout from the
 * IdP ends the session on both; Redis paused or stopped → 503 + Retry-After (no logout, JWT
 * checks unaffected) and recovery; every key carries a TTL; one M2M grant for the cluster.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, freePort, startStack, type Stack } from '../support/stack.ts';
import { cookieFetch } from '../support/cookie-fetch.ts';
import { sessionLogin } from '../support/session-login.ts';
import { finishGatewayLogin, startGatewayLogin } from '../support/gateway-login.ts';
import { haveRedis, startRedis, type RedisServer } from '../support/redis.ts';
import { systemTool } from '../support/system-tool.ts';
import { findNginx, startNginx, type RunningNginx } from '../proxy/nginx-runner.ts';
import { DEMO_USER } from '../../src/devidp/index.ts';

const nginxBin = systemTool(findNginx() ?? 'nginx', 'nginx', 'tests/integration/replicas.test.ts') ? findNginx() : undefined;
const redisOk = haveRedis('tests/integration/replicas.test.ts');
const TTL = 63;
const SKEW = 60;
const JWT_BEARER = 'token:urn:ietf:params:oauth:grant-type:jwt-bearer';

describe.skipIf(!nginxBin || !redisOk).each(CONFIG_MODES)('two replicas behind nginx, one Redis (%s endpoints)', (mode) => {
  let redis: RedisServer;
  let stack: Stack;
  let nginx: RunningNginx;
  let upstream: ReturnType<typeof Bun.serve>;
  const ports = [freePort(), freePort()] as const;
  const replicas: { url: string; stop(): Promise<void> }[] = [];
  const nginxPort = freePort();
  const origin = `http://127.0.0.1:${nginxPort}`;
  const tokensSeen: string[] = [];
  let env: Record<string, string>;

  const startReplica = async (i: 0 | 1) => {
    replicas[i] = await stack.gateway({ ...env, PORT: String(ports[i]) });
  };

  beforeAll(async () => {
    redis = await startRedis();
    upstream = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (req) => {
        tokensSeen.push(req.headers.get('authorization') ?? '');
        return Response.json({ ok: true });
      },
    });
    stack = await startStack({
      mode,
      idp: {
        redirectUris: [`${origin}/api/v1/callback`],
        postLogoutRedirectUris: [`${origin}/`],
        backChannelLogoutUri: `${origin}/api/v1/backchannel-logout`,
        accessTokenTtlSec: TTL,
      },
      env: {
        SPA_ORIGIN: origin,
        ZITADEL_REDIRECT_URL: `${origin}/api/v1/callback`,
        ZITAUTH_LOGIN_MODE: 'session',
        ZITAUTH_SESSION_STORE: 'redis',
        ZITAUTH_REDIS_URL: redis.url,
        ZITAUTH_REDIS_PREFIX: 'zitauth:replicas-ü-test:'.replace('ü', 'u'),
        ZITAUTH_SESSION_REFRESH_SKEW_SEC: String(SKEW),
        ZITAUTH_UPSTREAMS: `demo=http://127.0.0.1:${upstream.port}`,
        ZITAUTH_REDIS_TIMEOUT_MS: '300',
      },
    });
    env = { ...stack.env };
    await startReplica(0);
    await startReplica(1);
    nginx = await startNginx(
      nginxBin!,
      `upstream replicas { server 127.0.0.1:${ports[0]} max_fails=0; server 127.0.0.1:${ports[1]} max_fails=0; }
server {
  listen 127.0.0.1:${nginxPort};
  location / {
    proxy_pass http://replicas;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $remote_addr;
    add_header X-Replica $upstream_addr always;
  }
}
`,
      nginxPort,
      // 50 concurrent browsers, each with a connection to nginx and one onwards.
      { workerConnections: 256 },
    );
  });
  afterAll(async () => {
    await nginx?.stop();
    await stack?.close();
    upstream?.stop(true);
    await redis?.close();
  });

  /** GETs through nginx until both replicas answered; returns their statuses by replica. */
  const throughBoth = async (f: ReturnType<typeof cookieFetch>, path: string, init: RequestInit = {}) => {
    const byReplica = new Map<string, number[]>();
    for (let i = 0; i < 6; i++) {
      const res = await f(`${origin}${path}`, init);
      const r = res.headers.get('x-replica') ?? '?';
      byReplica.set(r, [...(byReplica.get(r) ?? []), res.status]);
      await res.arrayBuffer();
    }
    return byReplica;
  };

  test('a session made on one replica works on both, and survives a restart of both', async () => {
    const { jar } = await sessionLogin(stack.idp, origin);
    const f = cookieFetch(jar);
    const seen = await throughBoth(f, '/api/v1/session');
    expect(seen.size).toBe(2);
    for (const statuses of seen.values()) expect(statuses.every((s) => s === 200)).toBe(true);
    for (const i of [0, 1] as const) {
      await replicas[i]!.stop();
      await startReplica(i);
    }
    const after = await throughBoth(f, '/api/v1/session');
    for (const statuses of after.values()) expect(statuses.every((s) => s === 200)).toBe(true);
    const body = (await (await f(`${origin}/api/v1/session`)).json()) as { sub: string };
    expect(body.sub).toBe(DEMO_USER.sub);
  });

  test('a callback replayed on the other replica is refused by the gateway (single-use state in Redis)', async () => {
    const pending = await startGatewayLogin(stack.idp, origin);
    const onA = new URL(pending.callback.pathname + pending.callback.search, replicas[0]!.url);
    const onB = new URL(pending.callback.pathname + pending.callback.search, replicas[1]!.url);
    const first = await finishGatewayLogin({ callback: onA, cookie: pending.cookie });
    expect(first.status).toBe(302);
    const before = stack.idp.counts['token:authorization_code'] ?? 0;
    const replay = await finishGatewayLogin({ callback: onB, cookie: pending.cookie });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error_description: string }).error_description).toContain('already completed');
    // Refused before the IdP was asked again.
    expect(stack.idp.counts['token:authorization_code'] ?? 0).toBe(before);
  });

  test('50 concurrent proxied calls across both replicas as the token nears expiry → one refresh grant, no failure', async () => {
    const { jar } = await sessionLogin(stack.idp, origin);
    const f = cookieFetch(jar);
    const before = stack.idp.counts['token:refresh_token'] ?? 0;
    await Bun.sleep((TTL - SKEW) * 1000 + 500);
    tokensSeen.length = 0;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        f(`${origin}/api/v1/proxy/demo/orders/${i}?name=${encodeURIComponent('山田太郎')}`, { headers: { 'x-csrf': '1' } }).then(async (r) => ({ status: r.status, replica: r.headers.get('x-replica') })),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((r) => r.replica)).size).toBe(2);
    expect((stack.idp.counts['token:refresh_token'] ?? 0) - before).toBe(1);
    // After the refresh every upstream call carried the one refreshed token.
    expect(new Set(tokensSeen).size).toBeLessThanOrEqual(2);
    const still = await throughBoth(f, '/api/v1/session');
    for (const statuses of still.values()) expect(statuses.every((s) => s === 200)).toBe(true);
  });

  test('a back-channel logout from the IdP ends the session on both replicas within a second', async () => {
    const { jar } = await sessionLogin(stack.idp, origin);
    const f = cookieFetch(jar);
    expect((await f(`${origin}/api/v1/session`)).status).toBe(200);
    const deliveries = await stack.idp.logoutUser(DEMO_USER.sub);
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.outcome === 'delivered')).toBe(true);
    const deadline = Date.now() + 1000;
    let seen = await throughBoth(f, '/api/v1/session');
    while ([...seen.values()].flat().some((s) => s !== 401) && Date.now() < deadline) {
      await Bun.sleep(50);
      seen = await throughBoth(f, '/api/v1/session');
    }
    expect(seen.size).toBe(2);
    for (const statuses of seen.values()) expect(statuses.every((s) => s === 401)).toBe(true);
    // The same logout token again: refused (jti single use), still no 5xx.
    expect(stack.logs.filter((l) => l.includes('"msg":"back-channel logout"')).length).toBeGreaterThan(0);
  });

  test('every key in Redis carries a TTL, under the configured prefix', async () => {
    await sessionLogin(stack.idp, origin);
    const raw = await redis.raw();
    const keys = (await raw.send('KEYS', ['*'])) as string[];
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) {
      expect(key.startsWith('zitauth:replicas-u-test:')).toBe(true);
      const ttl = (await raw.send('PTTL', [key])) as number;
      expect(`${key} ${ttl > 0}`).toBe(`${key} true`);
    }
    // Nothing secret in the key names or values: no session id, no token.
    const cookieValues = keys.join(' ');
    expect(cookieValues).not.toMatch(/eyJ/);
  });

  test('one M2M grant for the cluster: both replicas hand out the same token', async () => {
    const before = stack.idp.counts[JWT_BEARER] ?? 0;
    const a = (await (await fetch(`${replicas[0]!.url}/api/v1/m2m-token`)).json()) as { access_token: string };
    const b = (await (await fetch(`${replicas[1]!.url}/api/v1/m2m-token`)).json()) as { access_token: string };
    expect(b.access_token).toBe(a.access_token);
    expect((stack.idp.counts[JWT_BEARER] ?? 0) - before).toBeLessThanOrEqual(1);
  });

  test('Redis hung, then back: 503 + Retry-After meanwhile (JWT checks unaffected, /readyz degraded), then the same session works', async () => {
    const { jar } = await sessionLogin(stack.idp, origin);
    const f = cookieFetch(jar);
    const jwt = await stack.idp.mintAccessToken({ claims: { name: '山田太郎' } });
    redis.pause();
    try {
      const res = await f(`${origin}/api/v1/session`);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
      const proxied = await f(`${origin}/api/v1/proxy/demo/x`, { headers: { 'x-csrf': '1' } });
      expect(proxied.status).toBe(503);
      expect((await fetch(`${origin}/api/v1/validate`, { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(200);
      const ready = await fetch(`${replicas[0]!.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { status: string; checks: { store: boolean } })).toMatchObject({ status: 'degraded', checks: { store: false } });
    } finally {
      redis.resume();
    }
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await f(`${origin}/api/v1/session`)).status;
      if (status !== 200) await Bun.sleep(100);
    }
    expect(status).toBe(200);
  });

  test('Redis stopped and started again: 503s, then recovery without restarting the gateways', async () => {
    await redis.stop();
    try {
      const res = await fetch(`${origin}/api/v1/session`, { headers: { cookie: `zitauth_session=${'a'.repeat(43)}` } });
      expect(res.status).toBe(503);
      const login = await fetch(`${origin}/api/v1/callback?state=x&code=y`, { redirect: 'manual' });
      expect(login.status).toBeLessThan(500);
    } finally {
      await redis.start();
    }
    // Nothing was persisted (a test server); a new login works on both replicas at once.
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      try {
        const { jar } = await sessionLogin(stack.idp, origin);
        const seen = await throughBoth(cookieFetch(jar), '/api/v1/session');
        ok = [...seen.values()].flat().every((s) => s === 200);
      } catch {
        await Bun.sleep(100);
      }
    }
    expect(ok).toBe(true);
    expect(stack.logs.some((l) => l.includes('state store (Redis) calls are failing'))).toBe(true);
  });
});
