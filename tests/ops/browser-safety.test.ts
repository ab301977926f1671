/**
 * What browsers get from the gateway: HTML with a CSP that forbids framing, no referrer and no
 * MIME sniffing; responses carrying tokens (or one-time login state) are never cached.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startStack, type Stack } from '../support/stack.ts';
import { startGatewayLogin } from '../support/gateway-login.ts';
import { cookieFetch } from '../support/cookie-fetch.ts';

let stack: Stack;
let spa: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  stack = await startStack();
  spa = await stack.gateway({ ZITAUTH_SERVE_SPA: 'true' });
});
afterAll(async () => {
  await spa?.stop();
  await stack?.close();
});

function expectHtmlSecurityHeaders(res: Response, where: string) {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(`${where}: ${/frame-ancestors\s+'none'/.test(csp)}`).toBe(`${where}: true`);
  expect(`${where}: ${/default-src\s+'self'/.test(csp)}`).toBe(`${where}: true`);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(res.headers.get('referrer-policy')).toMatch(/no-referrer|same-origin|strict-origin/);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

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
    for (const p of paths) {
      const res = await fetch(`${stack.url}${p}`, { redirect: 'manual', headers: { accept: 'text/html' } });
      if ((res.headers.get('content-type') ?? '').includes('text/html')) expectHtmlSecurityHeaders(res, p);
    }
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

    const pending = await startGatewayLogin(stack.idp, stack.url);
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
    for (const p of ['/api/v1/validate', '/api/v1/callback?state=x', '/api/v1/logout?post_logout_redirect_uri=https://evil.example/']) {
      const res = await fetch(`${stack.url}${p}`, { redirect: 'manual', headers: { authorization: 'Bearer bad' } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(`${p}: ${res.headers.get('cache-control')}`).toBe(`${p}: no-store`);
    }
  });

  test('validate and forward-auth answers (identity data): not stored by shared caches', async () => {
    const token = await stack.idp.mintAccessToken();
    for (const p of ['/api/v1/validate', '/api/v1/forward-auth']) {
      const res = await fetch(`${stack.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(`${p}: ${res.headers.get('cache-control')}`).toMatch(/: (no-store|private)/);
    }
  });
});
