/**
 * What browsers get from the gateway, in both configuration modes: HTML with a CSP that forbids
 * framing, no referrer and no MIME sniffing; responses carrying tokens (or one-time login state)
 * are never cached — also when the request carries non-ASCII or hostile values, and for a user
 * named 山田太郎.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { startGatewayLogin } from '../support/gateway-login.ts';
import { cookieFetch } from '../support/cookie-fetch.ts';
import { HOSTILE_CLAIMS, HOSTILE_CREDS, HOSTILE_USER, HOSTILE_VALUES } from '../support/hostile.ts';

function expectHtmlSecurityHeaders(res: Response, where: string) {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(`${where}: ${/frame-ancestors\s+'none'/.test(csp)}`).toBe(`${where}: true`);
  expect(`${where}: ${/default-src\s+'self'/.test(csp)}`).toBe(`${where}: true`);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(res.headers.get('referrer-policy')).toMatch(/no-referrer|same-origin|strict-origin/);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

describe.each(CONFIG_MODES)('browser safety (%s endpoints)', (mode) => {
  let stack: Stack;
  let spa: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    stack = await startStack({ mode, idp: { users: [HOSTILE_USER] } });
    spa = await stack.gateway({ ZITAUTH_SERVE_SPA: 'true' });
  });
  afterAll(async () => {
    await spa?.stop();
    await stack?.close();
  });

  describe('HTML responses', () => {
    test('/swagger', async () => {
      const res = await fetch(`${stack.url}/swagger`);
      expect(res.headers.get('content-type')).toContain('text/html');
      expectHtmlSecurityHeaders(res, '/swagger');
    });

    test('the embedded SPA (ZITAUTH_SERVE_SPA=true): every HTML page', async () => {
      for (const path of ['/', '/index.html']) {
        const res = await fetch(`${spa.url}${path}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/html');
        expectHtmlSecurityHeaders(res, path);
      }
    });

    test('no gateway route answers HTML without the headers (sampled across routes)', async () => {
      const paths = ['/swagger', '/swagger/json', '/healthz', '/readyz', '/metrics', '/api/v1/validate', '/api/v1/login?return_to=https://evil.example/', '/api/v1/callback', '/nope'];
      for (const v of HOSTILE_VALUES.map(encodeURIComponent)) paths.push(`/${v}`, `/swagger/${v}`, `/api/v1/login?return_to=${v}`, `/api/v1/callback?state=${v}&error=${v}`);
      let html = 0;
      for (const base of [stack.url, spa.url]) {
        for (const p of paths) {
          const res = await fetch(`${base}${p}`, { redirect: 'manual', headers: { accept: 'text/html' } });
          expect(`${p} ${res.status < 500}`).toBe(`${p} true`);
          if ((res.headers.get('content-type') ?? '').includes('text/html')) {
            html++;
            expectHtmlSecurityHeaders(res, p);
          }
        }
      }
      expect(html).toBeGreaterThan(0);
    });
  });

  describe('no caching of tokens and login state', () => {
    test('m2m-token (GET and POST): cache-control no-store', async () => {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${stack.url}/api/v1/m2m-token`, { method });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { access_token: string }).access_token).toBeTruthy();
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
    });

    test('login and callback redirects: no-store, no referrer', async () => {
      const login = await fetch(`${stack.url}/api/v1/login`, { redirect: 'manual' });
      expect(login.status).toBe(302);
      expect(login.headers.get('cache-control')).toBe('no-store');

      const pending = await startGatewayLogin(stack.idp, stack.url, { creds: HOSTILE_CREDS });
      const res = await cookieFetch(pending.jar)(pending.callback);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toContain('#access_token=');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    });

    test('the state cookie is HttpOnly and SameSite', async () => {
      const login = await fetch(`${stack.url}/api/v1/login`, { redirect: 'manual' });
      const cookie = login.headers.getSetCookie().join('\n');
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=(Lax|Strict)/i);
    });

    test('error responses: no-store', async () => {
      const hostile = HOSTILE_VALUES.map(encodeURIComponent);
      for (const p of [
        '/api/v1/validate',
        '/api/v1/callback?state=x',
        '/api/v1/logout?post_logout_redirect_uri=https://evil.example/',
        ...hostile.flatMap((v) => [`/api/v1/callback?state=${v}&code=${v}`, `/api/v1/logout?post_logout_redirect_uri=${v}&state=${v}`, `/api/v1/login?return_to=https://evil.example/${v}`, `/api/v1/userinfo?x=${v}`]),
      ]) {
        const res = await fetch(`${stack.url}${p}`, { redirect: 'manual', headers: { authorization: 'Bearer bad' } });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(`${p}: ${res.headers.get('cache-control')}`).toBe(`${p}: no-store`);
      }
    });

    test('validate and forward-auth answers (identity data): not stored by shared caches', async () => {
      const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
      for (const p of ['/api/v1/validate', '/api/v1/forward-auth']) {
        const res = await fetch(`${stack.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        expect(`${p}: ${res.headers.get('cache-control')}`).toMatch(/: (no-store|private)/);
      }
    });
  });
});
