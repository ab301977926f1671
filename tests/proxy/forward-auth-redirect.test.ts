/**
 * forward-auth `redirect=login`: browsers without a token go to the login (Traefik/Caddy relay
 * the 302 as is), everything else keeps getting 401, and only allow-listed origins are used.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { loginRedirect, originalUrl } from '../../src/http/validate/index.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { browserLoginGateway } from './gateway.ts';

const APP = 'https://app.example.test';
const login = { loginUrl: 'https://auth.example.test/api/v1/login', spaOrigin: 'https://spa.example.test', returnToOrigins: ['https://spa.example.test', APP] };

describe('originalUrl', () => {
  test('Traefik/Caddy X-Forwarded-Proto/Host/Uri', () => {
    const h = new Headers({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/a/b?c=1' });
    expect(originalUrl(h)).toBe('https://app.example.test/a/b?c=1');
  });
  test('first value of a comma list (proxy chains)', () => {
    const h = new Headers({ 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'app.example.test, internal:8080' });
    expect(originalUrl(h)).toBe('https://app.example.test/');
  });
  test('nginx X-Original-URL', () => {
    expect(originalUrl(new Headers({ 'x-original-url': 'https://app.example.test/x' }))).toBe('https://app.example.test/x');
  });
  test('nothing usable', () => {
    expect(originalUrl(new Headers({ 'x-forwarded-host': 'app.example.test' }))).toBeUndefined();
  });
});

describe('loginRedirect', () => {
  const browser = { accept: 'text/html,application/xhtml+xml;q=0.9' };
  test('browser, allowed origin → login URL with return_to', () => {
    const loc = loginRedirect(new Headers({ ...browser, 'x-original-url': `${APP}/orders?id=7` }), login);
    const u = new URL(loc!);
    expect(u.origin + u.pathname).toBe(login.loginUrl);
    expect(u.searchParams.get('return_to')).toBe(`${APP}/orders?id=7`);
  });
  test('a fragment in the original URL is dropped (tokens are delivered there)', () => {
    const loc = loginRedirect(new Headers({ ...browser, 'x-original-url': `${APP}/x#frag` }), login);
    expect(new URL(loc!).searchParams.get('return_to')).toBe(`${APP}/x`);
  });
  test('origin not allow-listed → undefined (401)', () => {
    for (const u of ['https://evil.example.test/', 'http://app.example.test/', 'https://app.example.test.evil.test/']) {
      expect(loginRedirect(new Headers({ ...browser, 'x-original-url': u }), login)).toBeUndefined();
    }
  });
  test('forged host through X-Forwarded-Host is refused', () => {
    const h = new Headers({ ...browser, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example.test', 'x-forwarded-uri': '/' });
    expect(loginRedirect(h, login)).toBeUndefined();
  });
  test('API clients (no text/html) → undefined', () => {
    expect(loginRedirect(new Headers({ accept: 'application/json', 'x-original-url': `${APP}/` }), login)).toBeUndefined();
    expect(loginRedirect(new Headers({ 'x-original-url': `${APP}/` }), login)).toBeUndefined();
  });
});

describe('GET /api/v1/forward-auth?redirect=login (HTTP)', () => {
  let stack: Stack;
  let gw: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    stack = await startStack({ env: { ZITAUTH_RETURN_TO_ORIGINS: APP } });
    gw = await browserLoginGateway(stack, `${APP}/`);
  });
  afterAll(async () => {
    await gw?.stop();
    await stack?.close();
  });
  const traefik = (uri: string, host = 'app.example.test') => ({
    accept: 'text/html',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': host,
    'x-forwarded-uri': uri,
    'x-forwarded-method': 'GET',
  });
  const call = (headers: Record<string, string>, q = 'redirect=login') =>
    fetch(`${gw.url}/api/v1/forward-auth?${q}`, { headers, redirect: 'manual' });

  test('browser without token → 302 to the gateway login, no-store', async () => {
    const res = await call(traefik('/dash?x=1'));
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const loc = new URL(res.headers.get('location')!);
    expect(loc.href.startsWith(`${stack.url}/api/v1/login?`)).toBe(true);
    expect(loc.searchParams.get('return_to')).toBe(`${APP}/dash?x=1`);
    // following it starts a real login at the IdP
    const start = await fetch(loc, { redirect: 'manual' });
    expect(start.status).toBe(302);
    expect(start.headers.get('location')!.startsWith(stack.idp.issuer)).toBe(true);
  });

  test('with requirements too (role=admin&redirect=login)', async () => {
    expect((await call(traefik('/'), 'role=admin&redirect=login')).status).toBe(302);
  });

  test('without redirect=login → 401', async () => {
    expect((await call(traefik('/'), '')).status).toBe(401);
  });

  test('foreign origin → 401, no Location', async () => {
    const res = await call(traefik('/', 'evil.example.test'));
    expect(res.status).toBe(401);
    expect(res.headers.get('location')).toBeNull();
  });

  test('a garbage token is a 401 even for browsers (the token is the problem, not its absence)', async () => {
    const res = await call({ ...traefik('/'), authorization: 'Bearer garbage' });
    expect(res.status).toBe(401);
  });

  test('a valid token still passes with identity headers', async () => {
    const token = await stack.idp.mintAccessToken();
    const res = await call({ ...traefik('/'), authorization: `Bearer ${token}` }, 'role=admin&redirect=login');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-auth-request-user')).toBeTruthy();
  });
});
