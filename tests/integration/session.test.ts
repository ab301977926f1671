/**
 * Session mode (backend for frontend) through HTTP, both configuration modes: the login ends in a
 * session cookie and no token leaves the gateway; /api/v1/session tells who is logged in;
 * forward-auth accepts the cookie; CSRF and Origin rules; logout (both ways) ends the session;
 * replayed and forged cookies are refused; idle and absolute expiry (injected clock).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, SPA_ORIGIN, startStack, type Stack } from '../support/stack.ts';
import { cookieFetch } from '../support/cookie-fetch.ts';
import { sessionLogin } from '../support/session-login.ts';
import { DEMO_USER } from '../../src/devidp/index.ts';

const SESSION_ENV = { ZITAUTH_LOGIN_MODE: 'session', ZITAUTH_RETURN_TO_ORIGINS: 'https://app.example.test' };
const COOKIE = 'zitauth_session';

describe.each(CONFIG_MODES)('session mode (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode, env: SESSION_ENV });
  });
  afterAll(() => stack.close());

  test('login → 302 to return_to with nothing in the URL; one cookie holding only a random id', async () => {
    const { callback, jar } = await sessionLogin(stack.idp, stack.url, { query: { return_to: '/orders?tab=ü&q=a b' } });
    const location = callback.headers.get('location')!;
    expect(location).toBe(`${SPA_ORIGIN}/orders?tab=%C3%BC&q=a%20b`);
    expect(location).not.toMatch(/access_token|id_token|#/);
    const set = callback.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`))!;
    // Loopback http (development): no Secure, hence no __Host- prefix; everything else as in production.
    expect(set).toMatch(new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{43}; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax$`));
    expect(set).not.toMatch(/Domain=/i);
    const id = jar.get(stack.url, COOKIE)!;
    expect(id.split('.').length).toBe(1); // not a JWT, not a token
  });

  test('GET /api/v1/session: who is logged in, never a token', async () => {
    const { jar } = await sessionLogin(stack.idp, stack.url);
    const res = await cookieFetch(jar)(`${stack.url}/api/v1/session`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toMatchObject({ authenticated: true, sub: DEMO_USER.sub, name: DEMO_USER.name, email: DEMO_USER.email, preferred_username: DEMO_USER.username });
    expect(body.roles).toEqual(['admin']);
    expect(typeof body.expires_at).toBe('number');
    expect(body.expires_at as number).toBeGreaterThan(Date.now() / 1000 + 1700);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT anywhere
    expect(Object.keys(body).some((k) => /token/i.test(k))).toBe(false);
  });

  test('no session: 401 { authenticated: false }; a forged or malformed cookie too', async () => {
    for (const cookie of [undefined, `${COOKIE}=${'A'.repeat(43)}`, `${COOKIE}=not-an-id`, `${COOKIE}=${'é'.repeat(3)}`, `${COOKIE}=`]) {
      const headers: Record<string, string> = cookie ? { cookie: Buffer.from(cookie, 'utf8').toString('latin1') } : {};
      const res = await fetch(`${stack.url}/api/v1/session`, { headers });
      expect(`${cookie} ${res.status}`).toBe(`${cookie} 401`);
      expect(await res.json()).toEqual({ authenticated: false });
    }
  });

  test('forward-auth accepts the session cookie: identity headers, requirements, no token by default', async () => {
    const { jar } = await sessionLogin(stack.idp, stack.url);
    const f = cookieFetch(jar);
    const ok = await f(`${stack.url}/api/v1/forward-auth?role=admin`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-auth-request-user')).toBe(DEMO_USER.sub);
    expect(ok.headers.get('x-auth-request-email')).toBe(DEMO_USER.email);
    expect(ok.headers.get('authorization')).toBeNull();
    expect(ok.headers.get('x-auth-request-access-token')).toBeNull();
    expect((await f(`${stack.url}/api/v1/forward-auth?role=${encodeURIComponent('監督者')}`)).status).toBe(403);
    // A bearer token, when sent, wins over the cookie.
    expect((await f(`${stack.url}/api/v1/forward-auth`, { headers: { authorization: 'Bearer junk' } })).status).toBe(401);
    // No live session + redirect=login → the login, for browsers.
    const browser = { accept: 'text/html', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/p' };
    const gone = await fetch(`${stack.url}/api/v1/forward-auth?redirect=login`, { headers: { ...browser, cookie: `${COOKIE}=${'B'.repeat(43)}` }, redirect: 'manual' });
    expect(gone.status).toBe(302);
    const noLogin = await fetch(`${stack.url}/api/v1/forward-auth`, { headers: { cookie: `${COOKIE}=${'B'.repeat(43)}` } });
    expect(noLogin.status).toBe(401);
    expect(((await noLogin.json()) as { error: string }).error).toBe('login_required');
  });

  test('ZITAUTH_FORWARD_ACCESS_TOKEN=true hands the session access token to the upstream', async () => {
    // Its own stack: the login must come back to this gateway's callback.
    const own = await startStack({ mode, env: { ...SESSION_ENV, ZITAUTH_FORWARD_ACCESS_TOKEN: 'true' } });
    try {
      const { jar } = await sessionLogin(own.idp, own.url);
      const res = await cookieFetch(jar)(`${own.url}/api/v1/forward-auth`);
      expect(res.status).toBe(200);
      const token = res.headers.get('x-auth-request-access-token')!;
      expect(res.headers.get('authorization')).toBe(`Bearer ${token}`);
      expect((await fetch(`${own.url}/api/v1/validate`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await own.close();
    }
  });

  test('POST /api/v1/session/logout: X-CSRF and Origin required; then the cookie is dead (replay → 401)', async () => {
    const { jar, cookie } = await sessionLogin(stack.idp, stack.url);
    const f = cookieFetch(jar);
    const url = `${stack.url}/api/v1/session/logout`;
    const noCsrf = await f(url, { method: 'POST' });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: string }).error).toBe('access_denied');
    expect((await f(url, { method: 'POST', headers: { 'x-csrf': '0' } })).status).toBe(403);
    expect((await f(url, { method: 'POST', headers: { 'x-csrf': '1', origin: 'https://évil.example' } })).status).toBe(403);
    expect((await f(`${stack.url}/api/v1/session`)).status).toBe(200); // still logged in

    const out = await f(url, { method: 'POST', headers: { 'x-csrf': '1', origin: stack.url } });
    expect(out.status).toBe(200);
    const body = (await out.json()) as { logged_out: boolean; end_session_url: string };
    expect(body.logged_out).toBe(true);
    const end = new URL(body.end_session_url);
    expect(`${end.origin}${end.pathname}`).toBe(`${stack.idp.issuer}/oidc/v1/end_session`);
    // The page gets this URL: no token in it. Zitadel ends the browser's session by its cookie.
    expect(end.searchParams.get('id_token_hint')).toBeNull();
    expect(body.end_session_url).not.toMatch(/eyJ/);
    expect(end.searchParams.get('client_id')).toBe(stack.idp.clientId);
    const idp = await fetch(body.end_session_url, { redirect: 'manual' });
    expect(idp.status).toBe(302);
    expect(idp.headers.get('location')).toStartWith(`${SPA_ORIGIN}/`);
    expect(out.headers.getSetCookie().some((c) => c.startsWith(`${COOKIE}=;`) && c.includes('Max-Age=0'))).toBe(true);
    // The old cookie, replayed by hand: refused.
    const replay = await fetch(`${stack.url}/api/v1/session`, { headers: { cookie } });
    expect(replay.status).toBe(401);
  });

  test('GET /api/v1/logout ends the session and goes to end_session with the session ID token as hint', async () => {
    const { jar, cookie } = await sessionLogin(stack.idp, stack.url);
    const res = await cookieFetch(jar)(`${stack.url}/api/v1/logout?state=${encodeURIComponent('ü&1')}`);
    expect(res.status).toBe(302);
    const end = new URL(res.headers.get('location')!);
    expect(end.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect(end.searchParams.get('state')).toBe('ü&1');
    expect((await fetch(`${stack.url}/api/v1/session`, { headers: { cookie } })).status).toBe(401);
    // A bad post_logout_redirect_uri is refused before anything ends.
    const again = await sessionLogin(stack.idp, stack.url);
    const bad = await cookieFetch(again.jar)(`${stack.url}/api/v1/logout?post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`);
    expect(bad.status).toBe(400);
    expect((await cookieFetch(again.jar)(`${stack.url}/api/v1/session`)).status).toBe(200);
  });

  test('a new login replaces the browser’s previous session (no fixation)', async () => {
    const first = await sessionLogin(stack.idp, stack.url);
    const oldCookie = first.cookie;
    await sessionLogin(stack.idp, stack.url, { jar: first.jar });
    expect(first.jar.header(stack.url)).not.toBe(oldCookie);
    expect((await fetch(`${stack.url}/api/v1/session`, { headers: { cookie: oldCookie } })).status).toBe(401);
    expect((await cookieFetch(first.jar)(`${stack.url}/api/v1/session`)).status).toBe(200);
  });

  test('idle timeout slides on use; the absolute lifetime does not (injected clock)', async () => {
    let skew = 0;
    const own = await startStack({ mode, env: { ...SESSION_ENV, ZITAUTH_SESSION_IDLE_SEC: '600', ZITAUTH_SESSION_MAX_SEC: '1500' }, io: { now: () => Date.now() + skew } });
    const g = own;
    try {
      const { jar } = await sessionLogin(own.idp, g.url);
      const f = cookieFetch(jar);
      const at = async (minutes: number) => {
        skew = minutes * 60_000;
        return (await f(`${g.url}/api/v1/session`)).status;
      };
      expect(await at(9)).toBe(200); // used at 9 min: idle deadline moves to 19 min
      expect(await at(18)).toBe(200); // → 28 min, but the absolute limit is 25 min
      expect(await at(24)).toBe(200);
      expect(await at(26)).toBe(401); // absolute lifetime over, however active
      const idle = await sessionLogin(own.idp, g.url);
      skew = 26 * 60_000 + 11 * 60_000; // 11 min unused after its creation
      expect((await cookieFetch(idle.jar)(`${g.url}/api/v1/session`)).status).toBe(401);
    } finally {
      await own.close();
    }
  });

  test('a login flood cannot grow the memory store past ZITAUTH_SESSION_MAX_COUNT: the least recently used ends, counted', async () => {
    const own = await startStack({ mode, env: { ...SESSION_ENV, ZITAUTH_SESSION_MAX_COUNT: '3' } });
    try {
      const logins = [];
      for (let i = 0; i < 5; i++) logins.push(await sessionLogin(own.idp, own.url));
      const statuses = await Promise.all(logins.map(async (l) => (await fetch(`${own.url}/api/v1/session`, { headers: { cookie: l.cookie } })).status));
      expect(statuses).toEqual([401, 401, 200, 200, 200]);
      const text = await (await fetch(`${own.url}/metrics`)).text();
      expect(text).toContain('zitauth_sessions_active 3');
      expect(text).toContain('zitauth_sessions_evicted_total 2');
    } finally {
      await own.close();
    }
  });

  test('metrics count created and ended sessions; the memory store reports its size', async () => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    expect(text).toMatch(/zitauth_sessions_created_total \d+/);
    expect(text).toMatch(/zitauth_sessions_ended_total\{reason="logout"\} \d+/);
    expect(text).toMatch(/zitauth_sessions_active \d+/);
  });

  test('no token, code or session id reached the log', () => {
    const log = stack.logs.join('\n');
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
    expect(log).not.toMatch(new RegExp(`${COOKIE}=`));
  });
});
