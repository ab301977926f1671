/**
 * Browser login through the real gateway against the real dev IdP, in both configuration modes:
 * /api/v1/login → IdP form → /api/v1/callback → 302 to the SPA with the tokens in the fragment.
 * Also every way the callback must refuse (state, cookie, replay, expiry, other replica's secret)
 * and return_to / prompt / login_hint checks. The user signs in as josé@exämple.com (山田太郎,
 * role 管理者) with a non-ASCII password; hostile parameters are refused without being echoed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { decodeJwt } from 'jose';
import { CONFIG_MODES, startStack, SPA_ORIGIN, type Stack } from '../support/stack.ts';
import { CookieJar, cookieFetch } from '../support/cookie-fetch.ts';
import { bodyOf, finishGatewayLogin, fragmentOf, startGatewayLogin } from '../support/gateway-login.ts';
import { StateCookies } from '../../src/login/state-cookie.ts';
import { EMAIL, expectCleanRefusal, HOSTILE_CREDS, HOSTILE_USER, HOSTILE_VALUES, NAME, ROLE, ROLES_CLAIM } from '../support/hostile.ts';

const DISCOVERY = '/.well-known/openid-configuration';

const cookieAttrs = (sc: string) => sc.split(';').map((s) => s.trim());
/** "name=value" of the first Set-Cookie of a response. */
const cookiePair = (sc: string) => sc.split(';')[0]!;

async function expect400(res: Response, text?: RegExp) {
  expect(res.status).toBe(400);
  const { json } = await bodyOf(res);
  expect(typeof json.error).toBe('string');
  expect(typeof json.error_description).toBe('string');
  if (text) expect(String(json.error_description)).toMatch(text);
  return json;
}

describe.each(CONFIG_MODES)('browser login (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode, env: { ZITAUTH_LOGIN_TTL_SEC: '30' }, idp: { users: [HOSTILE_USER] } });
  });
  afterAll(() => stack.close());
  const login = (opts: Parameters<typeof startGatewayLogin>[2] = {}) => startGatewayLogin(stack.idp, stack.url, { creds: HOSTILE_CREDS, ...opts });

  /** Only the first hop of a login: the gateway's redirect to the IdP and its state cookie. */
  async function firstHop(query = '') {
    const res = await fetch(`${stack.url}/api/v1/login${query}`, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? 'http://invalid/');
    const setCookie = res.headers.getSetCookie()[0] ?? '';
    return { res, location, setCookie, state: location.searchParams.get('state') ?? '' };
  }

  describe('whole login', () => {
    test('login → IdP → callback → 302 to SPA_ORIGIN/#access_token…, cookie cleared', async () => {
      stack.idp.resetCounts();
      const p = await login();
      expect(p.callback.origin).toBe(stack.url);
      expect(p.callback.pathname).toBe('/api/v1/callback');
      expect(p.cookie).toContain('zitauth_login_');

      const res = await finishGatewayLogin(p);
      expect(res.status).toBe(302);
      const loc = res.headers.get('location')!;
      expect(loc.startsWith(`${SPA_ORIGIN}/#`)).toBe(true);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const f = fragmentOf(res);
      expect(f.get('token_type')).toBe('Bearer');
      expect(Number(f.get('expires_in'))).toBeGreaterThan(0);
      const at = decodeJwt(f.get('access_token')!);
      expect(at.sub).toBe(HOSTILE_USER.sub);
      const idt = decodeJwt(f.get('id_token')!);
      expect(idt.aud).toContain(stack.idp.clientId);

      // The state cookie is deleted (same name, Max-Age=0) and the jar no longer has it.
      const cleared = res.headers.getSetCookie();
      expect(cleared.length).toBe(1);
      expect(cookieAttrs(cleared[0]!)).toContain('Max-Age=0');
      expect(cookiePair(cleared[0]!).split('=')[0]).toBe(p.cookie.split('=')[0]!);
      expect(p.jar.header(p.callback)).not.toContain('zitauth_login_');

      // The token from the login validates at the gateway, the non-ASCII role intact.
      const v = await fetch(`${stack.url}/api/v1/validate?role=${encodeURIComponent(ROLE)}`, { headers: { authorization: `Bearer ${f.get('access_token')}` } });
      expect(v.status).toBe(200);
      expect(Object.keys(((await v.json()) as Record<string, object>)[ROLES_CLAIM]!).sort()).toEqual(['admin', ROLE].sort());
      // The original .env's explicit URLs are enough for the whole flow: no discovery request.
      if (mode === 'explicit') expect(stack.idp.counts[DISCOVERY]).toBeUndefined();
    });

    test('/login redirects to the IdP with code+PKCE S256, state, nonce; state cookie is HttpOnly, Lax, callback path, short', async () => {
      const { res, location, setCookie, state } = await firstHop();
      expect(res.status).toBe(302);
      expect(location.origin + location.pathname).toBe(`${stack.idp.issuer}/oauth/v2/authorize`);
      expect(location.searchParams.get('response_type')).toBe('code');
      expect(location.searchParams.get('code_challenge_method')).toBe('S256');
      expect(location.searchParams.get('code_challenge')?.length).toBeGreaterThan(40);
      expect(location.searchParams.get('nonce')?.length).toBeGreaterThan(20);
      expect(location.searchParams.get('client_id')).toBe(stack.idp.clientId);
      expect(location.searchParams.get('redirect_uri')).toBe(`${stack.url}/api/v1/callback`);
      expect(location.searchParams.get('scope')?.split(' ')).toContain('openid');
      expect(state.length).toBeGreaterThan(20);
      // The verifier never travels in the URL.
      expect(location.search).not.toContain('code_verifier');

      const attrs = cookieAttrs(setCookie);
      expect(attrs[0]).toMatch(/^zitauth_login_[A-Za-z0-9_-]+=.+/);
      expect(attrs).toContain('HttpOnly');
      expect(attrs).toContain('SameSite=Lax');
      expect(attrs).toContain('Path=/api/v1/callback');
      const maxAge = Number(attrs.find((a) => a.startsWith('Max-Age='))?.slice(8));
      expect(maxAge).toBeGreaterThan(0);
      expect(maxAge).toBeLessThanOrEqual(30); // ZITAUTH_LOGIN_TTL_SEC
      // http redirect URI: no Secure flag (it would stop the browser from sending it back).
      expect(attrs).not.toContain('Secure');
      // The cookie is encrypted: the state and the verifier are not readable in it.
      expect(setCookie).not.toContain(state);
    });

    test('two logins in two tabs (same jar, interleaved) both succeed', async () => {
      const jar = new CookieJar();
      const a = await login({ jar });
      const b = await login({ jar });
      expect(a.callback.searchParams.get('state')).not.toBe(b.callback.searchParams.get('state'));
      // Both state cookies coexist in the jar.
      expect(jar.header(a.callback).match(/zitauth_login_/g)?.length).toBe(2);
      const rb = await finishGatewayLogin({ callback: b.callback, jar });
      const ra = await finishGatewayLogin({ callback: a.callback, jar });
      expect(rb.status).toBe(302);
      expect(ra.status).toBe(302);
      expect(fragmentOf(ra).get('access_token')).toBeTruthy();
      expect(fragmentOf(rb).get('access_token')).toBeTruthy();
    });
  });

  describe('stateless replicas', () => {
    test('a second replica with the same ZITAUTH_COOKIE_SECRET finishes a login the first started', async () => {
      const replica = await stack.gateway();
      try {
        const p = await login();
        const onReplica = new URL(p.callback.pathname + p.callback.search, replica.url);
        const res = await finishGatewayLogin({ callback: onReplica, cookie: p.cookie });
        expect(res.status).toBe(302);
        expect(fragmentOf(res).get('access_token')).toBeTruthy();
      } finally {
        await replica.stop();
      }
    });

    test('a replica with another secret cannot (400)', async () => {
      const replica = await stack.gateway({ ZITAUTH_COOKIE_SECRET: 'another-secret-another-secret-0123456789' });
      try {
        const p = await login();
        const onReplica = new URL(p.callback.pathname + p.callback.search, replica.url);
        await expect400(await finishGatewayLogin({ callback: onReplica, cookie: p.cookie }), /state cookie is invalid/);
      } finally {
        await replica.stop();
      }
    });
  });

  describe('callback refusals (all 400 with an RFC body)', () => {
    test('missing state', async () => {
      const p = await login();
      const u = new URL(p.callback);
      u.searchParams.delete('state');
      await expect400(await finishGatewayLogin({ callback: u, cookie: p.cookie }), /missing the state/);
    });

    test('missing cookie', async () => {
      const p = await login();
      await expect400(await finishGatewayLogin({ callback: p.callback, cookie: '' }), /No login is in progress/);
    });

    test('mismatched state: unknown state, and a cookie sealed for another state', async () => {
      const p = await login();
      const u = new URL(p.callback);
      u.searchParams.set('state', 'not-the-state-of-this-browser');
      await expect400(await finishGatewayLogin({ callback: u, cookie: p.cookie }));

      // Cookie A presented under the name belonging to state B: decrypts fine, but is for A.
      const other = await firstHop();
      const [, valueA] = /^([^=]+)=(.*)$/.exec(p.cookie.split('; ').find((c) => c.startsWith('zitauth_login_'))!)!.slice(1);
      const nameB = cookiePair(other.setCookie).split('=')[0]!;
      const v = new URL(p.callback);
      v.searchParams.set('state', other.state);
      await expect400(await finishGatewayLogin({ callback: v, cookie: `${nameB}=${valueA}` }), /does not match/);
    });

    test('replayed callback (same URL, copied cookie) → 400', async () => {
      const p = await login();
      const first = await finishGatewayLogin({ callback: p.callback, cookie: p.cookie });
      expect(first.status).toBe(302);
      await expect400(await finishGatewayLogin({ callback: p.callback, cookie: p.cookie }), /already completed/);
    });

    test('expired state (cookie sealed 60 s ago, TTL 30 s) → 400', async () => {
      const p = await login();
      const state = p.callback.searchParams.get('state')!;
      const past = new StateCookies(stack.env.ZITAUTH_COOKIE_SECRET!, {
        ttlSec: 30,
        secure: false,
        path: '/api/v1/callback',
        now: () => Date.now() - 60_000,
      });
      const forged = cookiePair(await past.seal({ state, codeVerifier: 'v'.repeat(43), nonce: 'n', returnTo: `${SPA_ORIGIN}/` }));
      await expect400(await finishGatewayLogin({ callback: p.callback, cookie: forged }), /expired/);
      // Control: the same forgery with a current timestamp is accepted as a cookie (then the IdP refuses the bad verifier).
      const fresh = new StateCookies(stack.env.ZITAUTH_COOKIE_SECRET!, { ttlSec: 30, secure: false, path: '/api/v1/callback' });
      const ok = cookiePair(await fresh.seal({ state, codeVerifier: 'v'.repeat(43), nonce: 'n', returnTo: `${SPA_ORIGIN}/` }));
      const res = await finishGatewayLogin({ callback: p.callback, cookie: ok });
      expect(res.status).toBe(400);
      expect((await bodyOf(res)).json.error).toBe('invalid_grant');
    });

    test('regression: callback with a foreign iss (RFC 9207 mix-up) answered 502 instead of 400', async () => {
      const p = await login();
      const u = new URL(p.callback);
      u.searchParams.set('iss', 'https://evil.example');
      stack.idp.resetCounts();
      const json = await expect400(await finishGatewayLogin({ callback: u, cookie: p.cookie }), /authorization response is invalid/);
      expect(json.error).toBe('invalid_request');
      // Refused before the code is sent anywhere.
      expect(stack.idp.counts['token:authorization_code']).toBeUndefined();
    });

    test('tampered cookie → 400', async () => {
      const p = await login();
      const tampered = p.cookie.replace(/(zitauth_login_[^=]+=[^.]+\.)./, (m, a: string) => a + (m.endsWith('A') ? 'B' : 'A'));
      expect(tampered).not.toBe(p.cookie);
      await expect400(await finishGatewayLogin({ callback: p.callback, cookie: tampered }));
    });

    test('IdP error=access_denied → 302 to SPA #error=access_denied, cookie cleared', async () => {
      const hop = await firstHop();
      const res = await fetch(`${stack.url}/api/v1/callback?error=access_denied&error_description=User+cancelled&state=${hop.state}`, {
        redirect: 'manual',
        headers: { cookie: cookiePair(hop.setCookie) },
      });
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!);
      expect(loc.origin).toBe(SPA_ORIGIN);
      const f = new URLSearchParams(loc.hash.slice(1));
      expect(f.get('error')).toBe('access_denied');
      expect(f.get('access_token')).toBeNull();
      expect(res.headers.getSetCookie()[0]).toContain('Max-Age=0');
    });

    test('IdP error with hostile error/error_description: a known code only, the description URL-encoded in the fragment', async () => {
      for (const value of HOSTILE_VALUES) {
        const hop = await firstHop();
        const q = new URLSearchParams({ error: value, error_description: `${NAME}: ${value}`, state: hop.state });
        const res = await fetch(`${stack.url}/api/v1/callback?${q}`, { redirect: 'manual', headers: { cookie: cookiePair(hop.setCookie) } });
        expect(`${JSON.stringify(value)} ${res.status}`).toBe(`${JSON.stringify(value)} 302`);
        const raw = res.headers.get('location')!;
        expect(raw).not.toMatch(/[\r\n\s"<>]/);
        const f = new URLSearchParams(new URL(raw).hash.slice(1));
        // An error code outside [a-z_] is never passed on; the description is data for the SPA.
        expect(f.get('error')).toBe('access_denied');
        expect(f.get('error_description')).toBe(`${NAME}: ${value}`.slice(0, 200));
      }
    });

    test('hostile state values at the callback → 400 JSON, never echoed, the IdP never asked', async () => {
      const hop = await firstHop();
      stack.idp.resetCounts();
      for (const value of [...HOSTILE_VALUES, 'x'.repeat(513)]) {
        const q = new URLSearchParams({ code: 'some-code', state: value });
        const res = await fetch(`${stack.url}/api/v1/callback?${q}`, { redirect: 'manual', headers: { cookie: cookiePair(hop.setCookie) } });
        const json = await expectCleanRefusal(res, [value], JSON.stringify(value));
        expect(`${JSON.stringify(value)} ${res.status}`).toBe(`${JSON.stringify(value)} 400`);
        expect(json.error).toBe('invalid_request');
      }
      expect(stack.idp.counts['token:authorization_code']).toBeUndefined();
    });

    test('callback with state+cookie but no code → 400', async () => {
      const hop = await firstHop();
      const res = await fetch(`${stack.url}/api/v1/callback?state=${hop.state}`, {
        redirect: 'manual',
        headers: { cookie: cookiePair(hop.setCookie) },
      });
      await expect400(res, /code/);
    });
  });

  describe('return_to and prompt', () => {
    test('return_to inside the SPA origin is honoured', async () => {
      const jar = new CookieJar();
      const p = await login({ jar, query: { return_to: '/app/page?tab=2' } });
      const res = await finishGatewayLogin(p);
      expect(res.status).toBe(302);
      const loc = res.headers.get('location')!;
      expect(loc.startsWith(`${SPA_ORIGIN}/app/page?tab=2#access_token=`)).toBe(true);

      // A non-ASCII path and query with quotes: kept exactly, percent-encoded in the Location.
      const deep = await login({ query: { return_to: `/アプリ/${NAME}?q=🍣&who="${EMAIL}"` } });
      const back = await finishGatewayLogin(deep);
      expect(back.status).toBe(302);
      const raw = back.headers.get('location')!;
      expect(raw).not.toMatch(/[^\x21-\x7e]/);
      const u = new URL(raw);
      expect(u.origin).toBe(SPA_ORIGIN);
      expect(decodeURIComponent(u.pathname)).toBe(`/アプリ/${NAME}`);
      expect(u.searchParams.get('q')).toBe('🍣');
      expect(u.searchParams.get('who')).toBe(`"${EMAIL}"`);
      expect(new URLSearchParams(u.hash.slice(1)).get('access_token')).toBeTruthy();

      const abs = await firstHop(`?return_to=${encodeURIComponent(`${SPA_ORIGIN}/deep/link`)}`);
      expect(abs.res.status).toBe(302);
    });

    for (const bad of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
      'http://127.0.0.1:3998/',
      'https://évil.example/山田',
      `${SPA_ORIGIN}@evil.example/`,
      '/\r\n//evil.example/',
      '\t//evil.example/',
      `https://evil.example/?q="${NAME}"&x=<script>`,
      `http://[${'🦄'}]/`,
      `/${'x'.repeat(2100)}`,
    ]) {
      test(`return_to ${JSON.stringify(bad.slice(0, 60))} → 400, no cookie, no redirect, not echoed`, async () => {
        const res = await fetch(`${stack.url}/api/v1/login?return_to=${encodeURIComponent(bad)}`, { redirect: 'manual' });
        expect(res.status).toBe(400);
        await expectCleanRefusal(res, [bad, 'evil.example'], bad);
        expect(res.headers.get('location')).toBeNull();
        expect(res.headers.getSetCookie()).toEqual([]);
      });
    }

    test('prompt is an enum: valid values pass through, junk → 400', async () => {
      const ok = await firstHop('?prompt=login&login_hint=demo%40zitauth.localhost');
      expect(ok.res.status).toBe(302);
      expect(ok.location.searchParams.get('prompt')).toBe('login');
      expect(ok.location.searchParams.get('login_hint')).toBe('demo@zitauth.localhost');
      const json = await expect400(await fetch(`${stack.url}/api/v1/login?prompt=junk`, { redirect: 'manual' }));
      expect(json.error).toBe('invalid_request');
      // The schema error text is not echoed back.
      expect(JSON.stringify(json)).not.toContain('junk');
      for (const value of HOSTILE_VALUES) {
        const res = await fetch(`${stack.url}/api/v1/login?prompt=${encodeURIComponent(value)}`, { redirect: 'manual' });
        expect(`${JSON.stringify(value)} ${(await expectCleanRefusal(res, [value], value)).error}`).toBe(`${JSON.stringify(value)} invalid_request`);
        expect(res.headers.getSetCookie()).toEqual([]);
      }
    });

    test('login_hint reaches the IdP exactly (non-ASCII, CR/LF, quotes), percent-encoded; over 256 characters → 400', async () => {
      for (const hint of [EMAIL, `${NAME} <${EMAIL}>`, 'eve\r\nSet-Cookie: x=1', 'say "hi" 🦄']) {
        const hop = await firstHop(`?login_hint=${encodeURIComponent(hint)}`);
        expect(hop.res.status).toBe(302);
        expect(hop.res.headers.get('location')!).not.toMatch(/[^\x21-\x7e]/);
        expect(hop.location.searchParams.get('login_hint')).toBe(hint);
        expect(hop.res.headers.getSetCookie().join('\n')).not.toContain('Set-Cookie: x=1');
      }
      const long = await fetch(`${stack.url}/api/v1/login?login_hint=${encodeURIComponent(NAME.repeat(65))}`, { redirect: 'manual' });
      await expectCleanRefusal(long, [NAME.repeat(65)]);
    });
  });

  describe('logout', () => {
    test('redirects to end_session with the allow-listed post-logout URI; others → 400', async () => {
      const f = cookieFetch(new CookieJar());
      const res = await f(`${stack.url}/api/v1/logout`);
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!);
      expect(loc.origin + loc.pathname).toBe(`${stack.idp.issuer}/oidc/v1/end_session`);
      expect(loc.searchParams.get('post_logout_redirect_uri')).toBe(`${SPA_ORIGIN}/`);
      await expect400(await f(`${stack.url}/api/v1/logout?post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`));
      // A non-ASCII state round-trips exactly, percent-encoded.
      const state = `${NAME}\r\n"🦄"`;
      const withState = await f(`${stack.url}/api/v1/logout?state=${encodeURIComponent(state)}`);
      expect(withState.status).toBe(302);
      expect(withState.headers.get('location')!).not.toMatch(/[^\x21-\x7e]/);
      expect(new URL(withState.headers.get('location')!).searchParams.get('state')).toBe(state);
    });
  });
});
