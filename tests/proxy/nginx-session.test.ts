/**
 * Session mode behind nginx with the shipped example (examples/nginx/zitauth-session.conf), in
 * both configuration modes: the gateway (ZITAUTH_LOGIN_MODE=session) and the app share nginx's
 * host, so a browser-like client (fetch + cookie jar) that logs in *through nginx* gets the
 * session cookie there and nginx's auth_request → /api/v1/forward-auth sees it. The app receives
 * the identity headers of 山田太郎 <josé@exämple.com> (role 管理者) intact as UTF-8 bytes — never
 * the session cookie, never a token unless ZITAUTH_FORWARD_ACCESS_TOKEN=true, and then exactly
 * the session's access token as Authorization. Without a session: browsers get the login on the
 * same host, API clients 401, and the app is not called. The gateway's other routes are not
 * reachable through nginx; logout through nginx ends the session.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemTool } from '../support/system-tool.ts';
import { CONFIG_MODES, freePort, startStack, type ConfigMode, type Stack } from '../support/stack.ts';
import { CookieJar, cookieFetch } from '../support/cookie-fetch.ts';
import { loginWithFetch } from '../support/login.ts';
import { asHeader, EMAIL, fromHeader, HOSTILE_CREDS, HOSTILE_USER, NAME, ROLE } from '../support/hostile.ts';
import { findNginx, instantiateExample, startNginx, type RunningNginx } from './nginx-runner.ts';

const EXAMPLE = join(import.meta.dir, '../../examples/nginx/zitauth-session.conf');
const nginxBin = systemTool(findNginx() ?? 'nginx', 'nginx', 'tests/proxy/nginx-session.test.ts') ? findNginx() : undefined;
const COOKIE = 'zitauth_session'; // loopback http: no __Host- prefix
const HTML = { accept: 'text/html,application/xhtml+xml' };

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
}

interface Setup {
  stack: Stack;
  nginx: RunningNginx;
  origin: string;
  seen: Seen[];
  stop(): Promise<void>;
}

/** A session-mode gateway, a dummy app that echoes what it received, and nginx in front of both. */
async function setup(mode: ConfigMode, extra: Record<string, string> = {}): Promise<Setup> {
  const seen: Seen[] = [];
  const upstream = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req) {
      const s = { method: req.method, path: new URL(req.url).pathname, headers: Object.fromEntries(req.headers) };
      seen.push(s);
      return Response.json(s);
    },
  });
  const port = freePort();
  const origin = `http://127.0.0.1:${port}`;
  const stack = await startStack({
    mode,
    env: {
      ZITAUTH_LOGIN_MODE: 'session',
      // The example's settings: the callback and the logins' return are on nginx's host.
      ZITADEL_REDIRECT_URL: `${origin}/api/v1/callback`,
      SPA_ORIGIN: origin,
      ZITAUTH_POST_LOGOUT_REDIRECT_URIS: `${origin}/`,
      ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS: 'name=X-Auth-Request-Name',
      ZITAUTH_UPSTREAMS: `app=http://127.0.0.1:${upstream.port}/`,
      ...extra,
    },
    idp: { redirectUris: [`${origin}/api/v1/callback`], postLogoutRedirectUris: [`${origin}/`], users: [HOSTILE_USER] },
  });
  const config = instantiateExample(readFileSync(EXAMPLE, 'utf8'), { gateway: new URL(stack.url).host, app: `127.0.0.1:${upstream.port}`, port });
  const nginx = await startNginx(nginxBin!, config, port);
  return {
    stack,
    nginx,
    origin,
    seen,
    stop: async () => {
      await nginx.stop();
      upstream.stop(true);
      await stack.close();
    },
  };
}

/**
 * A browser's first visit: the app page sends it to the login on nginx's host, the IdP form is
 * filled in, the callback (through nginx) sets the session cookie, and the browser lands on the
 * page it asked for. Returns the jar and that last answer.
 */
async function browserLogin(s: Setup, path: string, jar = new CookieJar()): Promise<{ jar: CookieJar; page: Response }> {
  const f = cookieFetch(jar);
  const first = await f(`${s.origin}${path}`, { headers: HTML });
  if (first.status !== 302) throw new Error(`expected the login redirect, got ${first.status}`);
  const login = new URL(first.headers.get('location')!);
  if (login.origin !== s.origin) throw new Error(`the login is not on nginx's host: ${login.origin}`);
  const callback = await loginWithFetch(s.stack.idp, login.href, HOSTILE_CREDS, { jar });
  if (new URL(callback).origin !== s.origin) throw new Error(`the callback is not on nginx's host: ${callback}`);
  const cb = await f(callback);
  if (cb.status !== 302) throw new Error(`callback answered ${cb.status}: ${await cb.text()}`);
  const page = await f(new URL(cb.headers.get('location')!, s.origin), { headers: HTML });
  return { jar, page };
}

describe.skipIf(!nginxBin)('nginx auth_request with the session cookie (examples/nginx/zitauth-session.conf)', () => {
  describe.each(CONFIG_MODES)('%s endpoints', (mode) => {
    let s: Setup;
    let jar: CookieJar;
    let landed: Response;
    beforeAll(async () => {
      s = await setup(mode);
      ({ jar, page: landed } = await browserLogin(s, `/orders/${encodeURIComponent(NAME)}?tab=${encodeURIComponent('ü "1"')}`));
    });
    afterAll(() => s?.stop());

    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.origin}${path}`, { headers, redirect: 'manual' });
    const asBrowser = (path: string, init: RequestInit = {}) => cookieFetch(jar)(`${s.origin}${path}`, { ...init, headers: { ...HTML, ...(init.headers as Record<string, string>) } });

    test('without a session: a browser is sent to the login on this host, an API client gets 401; the app is not called', async () => {
      const before = s.seen.length;
      const browser = await get(`/orders?x=${encodeURIComponent(NAME)}`, HTML);
      expect(browser.status).toBe(302);
      const loc = new URL(browser.headers.get('location')!);
      expect(`${loc.origin}${loc.pathname}`).toBe(`${s.origin}/api/v1/login`);
      expect(loc.searchParams.get('return_to')).toBe(`${s.origin}/orders?x=${encodeURIComponent(NAME)}`);
      const api = await get('/orders', { accept: 'application/json' });
      expect(api.status).toBe(401);
      expect(s.seen.length).toBe(before);
    });

    test('the login through nginx lands on the page asked for; the app gets the identity (UTF-8 intact), not the cookie, not a token', async () => {
      expect(landed.status).toBe(200);
      const got = (await landed.json()) as Seen;
      expect(decodeURIComponent(got.path)).toBe(`/orders/${NAME}`);
      expect(got.headers['x-auth-request-user']).toBe(HOSTILE_USER.sub);
      expect(fromHeader(got.headers['x-auth-request-name'])).toBe(NAME);
      expect(fromHeader(got.headers['x-auth-request-email'])).toBe(EMAIL);
      expect(fromHeader(got.headers['x-auth-request-roles'])!.split(',').sort()).toEqual(['admin', ROLE].sort());
      expect(got.headers.authorization).toBeUndefined();
      expect(got.headers.cookie).toBeUndefined();
      expect(jar.get(s.origin, COOKIE)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    test("the app keeps its own cookies, wherever the session cookie sits among them", async () => {
      const id = jar.get(s.origin, COOKIE)!;
      for (const [sent, kept] of [
        [`theme=dark; ${COOKIE}=${id}`, 'theme=dark'],
        [`${COOKIE}=${id}; lang=ja`, 'lang=ja'],
        [`a=1; ${COOKIE}=${id}; b="x y"`, 'a=1; b="x y"'],
        [`a=1;${COOKIE}=${id};b=2`, 'a=1;b=2'],
        // A look-alike name is not the session cookie and is passed on.
        [`x${COOKIE}=1; ${COOKIE}=${id}`, `x${COOKIE}=1`],
        [`${COOKIE}x=1; ${COOKIE}=${id}; z=${asHeader('ü')}`, `${COOKIE}x=1; z=${asHeader('ü')}`],
      ] as const) {
        const res = await get('/prefs', { cookie: sent });
        expect(`${sent} ${res.status}`).toBe(`${sent} 200`);
        const got = (await res.json()) as Seen;
        expect(got.headers.cookie).toBe(kept);
        expect(got.headers.cookie).not.toContain(id);
      }
    });

    test('identity headers and an Authorization sent by the client are replaced or dropped, not trusted', async () => {
      const res = await asBrowser('/orders', {
        headers: {
          'x-auth-request-user': 'mallory',
          'x-auth-request-name': asHeader('偽者 "mallory"'),
          'x-auth-request-roles': asHeader(`superuser,${ROLE}-偽`),
        },
      });
      expect(res.status).toBe(200);
      const got = (await res.json()) as Seen;
      expect(got.headers['x-auth-request-user']).toBe(HOSTILE_USER.sub);
      expect(fromHeader(got.headers['x-auth-request-name'])).toBe(NAME);
      expect(fromHeader(got.headers['x-auth-request-roles'])!.split(',').sort()).toEqual(['admin', ROLE].sort());
    });

    test('every method is checked the same way (the subrequest is a GET), bodies reach the app only', async () => {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const ok = await cookieFetch(jar)(`${s.origin}/orders`, { method, headers: { 'content-type': 'application/json' }, body: '{"ü":1}' });
        expect(`${method} ${ok.status}`).toBe(`${method} 200`);
        const before = s.seen.length;
        const denied = await fetch(`${s.origin}/orders`, { method, body: '{"ü":1}' });
        expect(`${method} ${denied.status}`).toBe(`${method} 401`);
        expect(s.seen.length).toBe(before);
      }
    });

    test('a forged or unknown cookie: the login for browsers, 401 for API clients, the app is not called', async () => {
      const before = s.seen.length;
      for (const forged of ['A'.repeat(43), 'not-an-id', asHeader('山田')]) {
        const browser = await get('/orders', { ...HTML, cookie: `${COOKIE}=${forged}` });
        expect(`${forged} ${browser.status}`).toBe(`${forged} 302`);
        expect(browser.headers.get('location')!).toStartWith(`${s.origin}/api/v1/login?`);
        const api = await get('/orders', { cookie: `${COOKIE}=${forged}` });
        expect(`${forged} ${api.status}`).toBe(`${forged} 401`);
      }
      expect(s.seen.length).toBe(before);
    });

    test('a location that requires role superuser → 403 for this user, the app is not called', async () => {
      const before = s.seen.length;
      const res = await asBrowser('/super/panel');
      expect(res.status).toBe(403);
      expect(s.seen.length).toBe(before);
    });

    test("the gateway's other routes are not on this host: m2m-token, validate and metrics reach the protected app", async () => {
      for (const path of ['/api/v1/m2m-token', '/api/v1/validate', '/api/v1/forward-auth', '/metrics', '/swagger']) {
        expect(`${path} ${(await get(path, { accept: 'application/json' })).status}`).toBe(`${path} 401`);
        const res = await asBrowser(path, { headers: { accept: 'application/json' } });
        expect(`${path} ${res.status}`).toBe(`${path} 200`);
        const got = (await res.json()) as Seen; // the app's echo, not the gateway
        expect(got.path).toBe(path);
      }
    });

    test('an SPA on this host: /api/v1/session and the API proxy (X-CSRF) work through nginx', async () => {
      const f = cookieFetch(jar);
      const who = await f(`${s.origin}/api/v1/session`);
      expect(who.status).toBe(200);
      expect(await who.json()).toMatchObject({ authenticated: true, sub: HOSTILE_USER.sub, name: NAME, email: EMAIL });
      expect((await f(`${s.origin}/api/v1/proxy/app/items`)).status).toBe(403);
      const before = s.seen.length;
      const res = await f(`${s.origin}/api/v1/proxy/app/items/${encodeURIComponent(NAME)}`, { method: 'POST', headers: { 'x-csrf': '1', origin: s.origin }, body: 'ü' });
      expect(res.status).toBe(200);
      const got = s.seen.at(-1)!;
      expect(s.seen.length).toBe(before + 1);
      expect(decodeURIComponent(got.path)).toBe(`/items/${NAME}`);
      expect(got.headers.authorization).toMatch(/^Bearer \S{20,}$/);
      expect(got.headers.cookie).toBeUndefined();
    });

    test('nginx logged no errors about the config; no token or session id in the logs', async () => {
      expect(s.nginx.errorLog()).not.toMatch(/\[emerg\]|\[crit\]|\[error\]/);
      const id = jar.get(s.origin, COOKIE)!;
      const active = await s.stack.services.sessions!.resolve(`${COOKIE}=${id}`, { refresh: false });
      const logs = s.stack.logs.join('\n');
      for (const secret of [id, active!.data.accessToken, active!.data.refreshToken!]) {
        expect(logs).not.toContain(secret);
        expect(s.nginx.errorLog()).not.toContain(secret);
      }
    });

    // Last: it ends the session the tests above share.
    test('logout through nginx ends the session: the old cookie gets the login again', async () => {
      const id = jar.get(s.origin, COOKIE)!;
      const out = await cookieFetch(jar)(`${s.origin}/api/v1/logout`);
      expect(out.status).toBe(302);
      const end = new URL(out.headers.get('location')!);
      expect(`${end.origin}${end.pathname}`).toBe(`${s.stack.idp.issuer}/oidc/v1/end_session`);
      expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${s.origin}/`);
      expect(jar.get(s.origin, COOKIE)).toBeUndefined();
      const before = s.seen.length;
      const again = await get('/orders', { ...HTML, cookie: `${COOKIE}=${id}` });
      expect(again.status).toBe(302);
      expect(again.headers.get('location')!).toStartWith(`${s.origin}/api/v1/login?`);
      expect((await get('/api/v1/session', { cookie: `${COOKIE}=${id}` })).status).toBe(401);
      expect(s.seen.length).toBe(before);
    });
  });

  describe.each(CONFIG_MODES)('ZITAUTH_FORWARD_ACCESS_TOKEN=true (%s endpoints)', (mode) => {
    let s: Setup;
    beforeAll(async () => {
      s = await setup(mode, { ZITAUTH_FORWARD_ACCESS_TOKEN: 'true' });
    });
    afterAll(() => s?.stop());

    test("the app receives the session's access token as Authorization; the browser never sees it", async () => {
      const { jar, page } = await browserLogin(s, '/reports');
      expect(page.status).toBe(200);
      const got = (await page.json()) as Seen;
      const id = jar.get(s.origin, COOKIE)!;
      const active = await s.stack.services.sessions!.resolve(`${COOKIE}=${id}`, { refresh: false });
      expect(got.headers.authorization).toBe(`Bearer ${active!.data.accessToken}`);
      expect(fromHeader(got.headers['x-auth-request-name'])).toBe(NAME);
      // A token the gateway itself accepts, for this user.
      const v = await fetch(`${s.stack.url}/api/v1/validate`, { headers: { authorization: got.headers.authorization! } });
      expect(v.status).toBe(200);
      expect(((await v.json()) as { sub: string }).sub).toBe(HOSTILE_USER.sub);
      // nginx keeps the subrequest's headers to itself: nothing token-like reaches the browser.
      const again = await cookieFetch(jar)(`${s.origin}/reports`, { headers: HTML });
      expect(again.status).toBe(200);
      for (const [k, v] of again.headers) expect(`${k}: ${v.includes(active!.data.accessToken)}`).toBe(`${k}: false`);
      expect([...again.headers.keys()].some((k) => k.startsWith('x-auth-request'))).toBe(false);
    });

    test("the client's own Authorization never reaches the app in its place", async () => {
      const { jar } = await browserLogin(s, '/reports');
      const before = s.seen.length;
      // A bearer token wins over the cookie at forward-auth, and this one is junk: refused, and
      // the browser is sent to the login (not answered by forward-auth's own 200 for the cookie).
      const res = await cookieFetch(jar)(`${s.origin}/reports`, { headers: { ...HTML, authorization: 'Bearer junk-from-the-client' } });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')!).toStartWith(`${s.origin}/api/v1/login?`);
      const api = await cookieFetch(jar)(`${s.origin}/reports`, { headers: { authorization: 'Bearer junk-from-the-client' } });
      expect(api.status).toBe(401);
      expect(s.seen.length).toBe(before);
    });
  });
});
