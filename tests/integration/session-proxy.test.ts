/**
 * The API proxy of session mode through the real stack, both configuration modes: a logged-in
 * browser's calls reach the allow-listed upstream with the session's access token and identity
 * headers (and without the browser's cookies); the CSRF and Origin rules; unknown upstreams and
 * escaping paths; refresh under 20 concurrent proxied calls (real time) → exactly one refresh
 * grant and no failed call; upstream down → 502, too slow → 504.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { cookieFetch } from '../support/cookie-fetch.ts';
import { sessionLogin } from '../support/session-login.ts';
import { DEMO_USER } from '../../src/devidp/index.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const utf8 = (v: string | undefined) => (v === undefined ? undefined : Buffer.from(v, 'latin1').toString('utf8'));

describe.each(CONFIG_MODES)('session API proxy (%s endpoints)', (mode) => {
  let stack: Stack;
  let upstream: ReturnType<typeof Bun.serve>;
  const seen: Seen[] = [];
  const TTL = 63;
  const SKEW = 60;

  beforeAll(async () => {
    upstream = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        const url = new URL(req.url);
        if (url.pathname.startsWith('/api/slow')) await Bun.sleep(1500);
        const s: Seen = { method: req.method, url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() };
        seen.push(s);
        const headers = new Headers({ 'content-type': 'application/json' });
        headers.append('set-cookie', 'upstream_pref=1; Path=/');
        headers.append('set-cookie', 'zitauth_session=stolen; Path=/');
        return new Response(JSON.stringify({ ok: true, path: url.pathname }), { status: url.pathname.endsWith('/created') ? 201 : 200, headers });
      },
    });
    stack = await startStack({
      mode,
      idp: { accessTokenTtlSec: TTL },
      env: {
        ZITAUTH_LOGIN_MODE: 'session',
        ZITAUTH_SESSION_REFRESH_SKEW_SEC: String(SKEW),
        ZITAUTH_UPSTREAMS: `orders=http://127.0.0.1:${upstream.port}/api,down=http://127.0.0.1:9`,
        ZITAUTH_UPSTREAM_TIMEOUT_MS: '500',
      },
    });
  });
  afterAll(async () => {
    await stack.close();
    upstream.stop(true);
  });

  const csrf = { 'x-csrf': '1' };

  test('a proxied call carries the session access token and identity, never the browser’s cookies', async () => {
    const { jar } = await sessionLogin(stack.idp, stack.url);
    const f = cookieFetch(jar);
    const res = await f(`${stack.url}/api/v1/proxy/orders/商品/€?q=${encodeURIComponent('山田 太郎&x')}`, { headers: { ...csrf, authorization: 'Bearer browser-token', 'x-auth-request-user': 'mallory' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { path: string }).path).toBe('/api/%E5%95%86%E5%93%81/%E2%82%AC');
    const s = seen.at(-1)!;
    expect(new URL(s.url).search).toBe(`?q=${encodeURIComponent('山田 太郎&x')}`);
    expect(s.headers.cookie).toBeUndefined();
    expect(s.headers['x-csrf']).toBeUndefined();
    const token = s.headers.authorization!.replace(/^Bearer /, '');
    expect(token).not.toBe('browser-token');
    expect((await fetch(`${stack.url}/api/v1/validate`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(s.headers['x-auth-request-user']).toBe(DEMO_USER.sub);
    expect(utf8(s.headers['x-auth-request-email'])).toBe(DEMO_USER.email);
    // The upstream may set its own cookies, never the gateway's.
    const cookies = res.headers.getSetCookie();
    expect(cookies).toContain('upstream_pref=1; Path=/');
    expect(cookies.some((c) => c.startsWith('zitauth_session='))).toBe(false);
  });

  test('methods and bodies pass through; the upstream’s status comes back', async () => {
    const { jar } = await sessionLogin(stack.idp, stack.url);
    const f = cookieFetch(jar);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const body = JSON.stringify({ name: '山田太郎', note: 'a\r\nb "q"' });
      const res = await f(`${stack.url}/api/v1/proxy/orders/created`, { method, headers: { ...csrf, 'content-type': 'application/json' }, body });
      expect(`${method} ${res.status}`).toBe(`${method} 201`);
      expect(seen.at(-1)!.method).toBe(method);
      expect(seen.at(-1)!.body).toBe(body);
    }
  });

  test('CSRF: no X-CSRF → 403; a foreign Origin → 403; nothing reaches the upstream', async () => {
    const { jar } = await sessionLogin(stack.idp, stack.url);
    const f = cookieFetch(jar);
    const before = seen.length;
    for (const headers of [{}, { 'x-csrf': '0' }, { ...csrf, origin: 'https://évil.example'.normalize() }]) {
      const res = await f(`${stack.url}/api/v1/proxy/orders/x`, { method: 'POST', headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v).toString('latin1')])), body: 'x' });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toBe('access_denied');
    }
    expect(seen.length).toBe(before);
  });

  test('no session, a forged or replayed cookie → 401 login_required', async () => {
    const { jar, cookie } = await sessionLogin(stack.idp, stack.url);
    await cookieFetch(jar)(`${stack.url}/api/v1/session/logout`, { method: 'POST', headers: csrf });
    for (const c of [undefined, cookie, `zitauth_session=${'x'.repeat(43)}`]) {
      const res = await fetch(`${stack.url}/api/v1/proxy/orders/x`, { headers: { ...csrf, ...(c ? { cookie: c } : {}) } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('login_required');
    }
  });

  test('unknown upstream → 404, an escaping path → 400, upstream down → 502, too slow → 504', async () => {
    const { jar } = await sessionLogin(stack.idp, stack.url);
    const f = cookieFetch(jar);
    expect((await f(`${stack.url}/api/v1/proxy/billing/x`, { headers: csrf })).status).toBe(404);
    const before = seen.length;
    // Bun resolves %2e%2e in the request line itself: this one ends outside /api/v1/proxy (404).
    expect([400, 404]).toContain((await f(`${stack.url}/api/v1/proxy/orders/a/%2e%2e/%2e%2e/%2e%2e/admin`, { headers: csrf })).status);
    expect((await f(`${stack.url}/api/v1/proxy/orders/a%2Fb`, { headers: csrf })).status).toBe(400);
    expect((await f(`${stack.url}/api/v1/proxy/orders/a%5c..%5cb`, { headers: csrf })).status).toBe(400);
    expect(seen.length).toBe(before);
    const down = await f(`${stack.url}/api/v1/proxy/down/x`, { headers: csrf });
    expect(down.status).toBe(502);
    const slow = await f(`${stack.url}/api/v1/proxy/orders/slow`, { headers: csrf });
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as { error: string }).error).toBe('server_error');
  });

  test('refresh near expiry under 20 concurrent proxied calls → exactly one refresh grant, no failed call', async () => {
    const { jar } = await sessionLogin(stack.idp, stack.url);
    const f = cookieFetch(jar);
    const before = stack.idp.counts['token:refresh_token'] ?? 0;
    await Bun.sleep((TTL - SKEW) * 1000 + 500);
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => f(`${stack.url}/api/v1/proxy/orders/item/${i}`, { headers: csrf }).then((r) => r.status)));
    expect(statuses).toEqual(Array(20).fill(200));
    expect((stack.idp.counts['token:refresh_token'] ?? 0) - before).toBe(1);
    // Every call carried a token that validates, and all carried the same refreshed one.
    const tokens = new Set(seen.slice(-20).map((s) => s.headers.authorization));
    expect(tokens.size).toBe(1);
    expect((await f(`${stack.url}/api/v1/session`)).status).toBe(200);
  });
});
