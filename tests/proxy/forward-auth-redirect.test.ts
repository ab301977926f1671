/**
 * forward-auth `redirect=login`: browsers without a token go to the login (Traefik/Caddy relay
 * the 302 as is), everything else keeps getting 401, and only allow-listed origins are used.
 * The pure URL rules are unit-tested once; the HTTP flows run in both configuration modes, with
 * non-ASCII and hostile forwarded URLs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { loginRedirect, originalUrl } from '../../src/http/validate/index.ts';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { asHeader, asHeaderValue, EMAIL, expectCleanRefusal, fromHeader, HOSTILE_CLAIMS, HOSTILE_VALUES, NAME, ROLE } from '../support/hostile.ts';
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

describe.each(CONFIG_MODES)('GET /api/v1/forward-auth?redirect=login (HTTP, %s endpoints)', (mode) => {
  let stack: Stack;
  let gw: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    stack = await startStack({ mode, env: { ZITAUTH_RETURN_TO_ORIGINS: APP } });
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

  test('a non-ASCII forwarded URI, percent-encoded as browsers send it → return_to carries it exactly', async () => {
    const res = await call(traefik(`/${encodeURIComponent(NAME)}?q=${encodeURIComponent('🍣 "x"')}&e=${encodeURIComponent(EMAIL)}`));
    expect(res.status).toBe(302);
    const raw = res.headers.get('location')!;
    expect(raw).not.toMatch(/[^\x21-\x7e]/);
    const returnTo = new URL(new URL(raw).searchParams.get('return_to')!);
    expect(returnTo.origin).toBe(APP);
    expect(decodeURIComponent(returnTo.pathname)).toBe(`/${NAME}`);
    expect(returnTo.searchParams.get('q')).toBe('🍣 "x"');
    expect(returnTo.searchParams.get('e')).toBe(EMAIL);
  });

  test('raw UTF-8 bytes in a forwarded URI (nginx $request_uri) are read as UTF-8, like the identity headers the gateway writes', async () => {
    // nginx's $request_uri (X-Original-URL in examples/nginx) is the request line as the client
    // sent it, raw UTF-8 bytes included. Read byte-per-character (latin1) each byte becomes a
    // character of its own and return_to points at a mojibake path (/%C3%A5%C2%B1…) instead of
    // /%E5%B1%B1… — the page the user wanted.
    for (const headers of [traefik(asHeader(`/${NAME}?e=${EMAIL}`)), { accept: 'text/html', 'x-original-url': asHeader(`${APP}/${NAME}?e=${EMAIL}`) }]) {
      const res = await call(headers);
      expect(res.status).toBe(302);
      const returnTo = new URL(new URL(res.headers.get('location')!).searchParams.get('return_to')!);
      expect(returnTo.pathname).toBe(`/${encodeURIComponent(NAME)}`);
      expect(returnTo.searchParams.get('e')).toBe(EMAIL);
    }
  });

  test('hostile forwarded hosts and URIs → 401 JSON or a 302 to the login only, never a 5xx, never echoed raw', async () => {
    for (const value of HOSTILE_VALUES) {
      for (const headers of [traefik('/', asHeaderValue(value)), traefik(asHeaderValue(`/${value}`)), { accept: 'text/html', 'x-original-url': asHeaderValue(`https://${value}/`) }]) {
        const res = await call(headers);
        const where = `${JSON.stringify(value)} ${JSON.stringify(headers)}`;
        if (res.status === 302) {
          const loc = new URL(res.headers.get('location')!);
          expect(`${loc.origin}${loc.pathname}`).toBe(`${stack.url}/api/v1/login`);
          expect(new URL(loc.searchParams.get('return_to')!).origin).toBe(APP);
          expect(res.headers.get('location')!).not.toMatch(/[^\x21-\x7e]/);
        } else {
          expect(`${where} ${res.status}`).toBe(`${where} 401`);
          await expectCleanRefusal(res, [value], where);
        }
      }
    }
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
    const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
    const res = await call({ ...traefik('/'), authorization: `Bearer ${token}` }, `role=${encodeURIComponent(ROLE)}&redirect=login`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-auth-request-user')).toBeTruthy();
    expect(fromHeader(res.headers.get('x-auth-request-email'))).toBe(EMAIL);
  });

  test('a valid token lacking a hostile role → 403, not a redirect, not echoed', async () => {
    const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
    for (const value of HOSTILE_VALUES) {
      const res = await call({ ...traefik('/'), authorization: `Bearer ${token}` }, `role=${encodeURIComponent(value)}&redirect=login`);
      expect(res.headers.get('location')).toBeNull();
      expect(`${JSON.stringify(value)} ${(await expectCleanRefusal(res, [value], value)).error}`).toBe(`${JSON.stringify(value)} insufficient_scope`);
    }
  });
});
