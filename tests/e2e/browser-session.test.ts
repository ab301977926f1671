/**
 * The session-mode SPA (backend for frontend) in a real browser, both configuration modes: the
 * gateway serves the page at its own origin (ZITAUTH_LOGIN_MODE=session, ZITAUTH_SERVE_SPA=true)
 * and proxies the demo API (ZITAUTH_UPSTREAMS=demo=<itself>/api). A user with a non-ASCII login
 * name and password, called 山田太郎, logs in, sees who they are and until when, calls the API
 * through the proxy and logs out — and no token the gateway holds for them (access, refresh, ID:
 * read from the gateway's own session, plus anything JWT-shaped) ever shows up in a URL the
 * browser visited, in a response the page's scripts could read, in web storage, in
 * `document.cookie` or in the page. The one exception is written down and checked: the ID token
 * travels as `id_token_hint` in the redirect to the IdP's end_session (OIDC RP-Initiated Logout),
 * which the page's scripts never see. A page on another origin of the same site (which gets the
 * SameSite=Lax cookie) cannot use the session: the CSRF rule stops it before any upstream.
 * Screenshots: test-output/screenshots/<mode>-session-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { BrowserContext, Page, Request, Response as PwResponse } from 'playwright-core';
import { CONFIG_MODES, freePort, startStack, type Stack } from '../support/stack.ts';
import { EMAIL, HOSTILE_USER, NAME, ROLE } from '../support/hostile.ts';
import { chromiumForFile, cspWatch, openIdpLogin, signInAtIdp, SHOTS, waitLoggedIn } from './chromium.ts';

const COOKIE = 'zitauth_session'; // loopback http: no __Host- prefix (src/session/cookie.ts)
/** Anything shaped like a JWT (a JWS header always starts with base64url of `{"`). */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

let context: BrowserContext;
let page: Page;

const hasChromium = chromiumForFile('tests/e2e/browser-session.test.ts', (b) => ({ context, page } = b));

/**
 * Everything the browser does that could carry a token: every request URL (redirect hops
 * included), every top-level and frame navigation, every redirect's Location, and the body of
 * every response a script on the SPA origin could read (same-origin, not a redirect).
 */
function recordTraffic(ctx: BrowserContext, p: Page, spaOrigin: string) {
  const urls: string[] = [];
  const bodies: Promise<{ url: string; text: string }>[] = [];
  const onRequest = (r: Request) => urls.push(r.url());
  const onNavigated = (f: { url(): string }) => urls.push(f.url());
  const onResponse = (r: PwResponse) => {
    const location = r.headers().location;
    if (location) urls.push(new URL(location, r.url()).href);
    if (new URL(r.url()).origin === spaOrigin && (r.status() < 300 || r.status() >= 400)) {
      bodies.push(r.text().then((text) => ({ url: r.url(), text }), () => ({ url: r.url(), text: '' })));
    }
  };
  ctx.on('request', onRequest);
  ctx.on('response', onResponse);
  p.on('framenavigated', onNavigated);
  return {
    urls,
    bodies: () => Promise.all(bodies),
    stop() {
      ctx.off('request', onRequest);
      ctx.off('response', onResponse);
      p.off('framenavigated', onNavigated);
    },
  };
}

/** What page scripts can see: web storage, document.cookie, the DOM and its text. */
const pageView = (p: Page) =>
  p.evaluate(() => ({
    localStorage: Object.entries({ ...localStorage }),
    sessionStorage: Object.entries({ ...sessionStorage }),
    cookie: document.cookie,
    html: document.documentElement.outerHTML,
    text: document.body.innerText,
    resources: performance.getEntries().map((e) => e.name),
  }));

describe.each(CONFIG_MODES)('session-mode SPA in Chromium (%s endpoints)', (mode) => {
  let stack: Stack;
  /** An upstream that only counts: whatever reaches it got past the gateway's CSRF rule. */
  let counter: ReturnType<typeof Bun.serve>;
  let counted = 0;
  /** Another origin of the same site (127.0.0.1, other port): the browser sends it the Lax cookie. */
  let other: ReturnType<typeof Bun.serve>;

  beforeAll(async () => {
    if (!hasChromium) return;
    counter = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: () => {
        counted++;
        return Response.json({ counted });
      },
    });
    other = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: () => new Response('<!doctype html><title>another origin</title><p>another origin', { headers: { 'content-type': 'text/html; charset=utf-8' } }),
    });
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    stack = await startStack({
      mode,
      port,
      env: {
        SPA_ORIGIN: url,
        ZITAUTH_SERVE_SPA: 'true',
        ZITAUTH_LOGIN_MODE: 'session',
        ZITAUTH_UPSTREAMS: `demo=${url}/api,count=http://127.0.0.1:${counter.port}/`,
        ZITAUTH_LOG_LEVEL: 'info',
      },
      idp: { postLogoutRedirectUris: [`${url}/`], users: [HOSTILE_USER] },
    });
    await context.clearCookies();
  });
  afterAll(async () => {
    await stack?.close();
    counter?.stop(true);
    other?.stop(true);
  });

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${mode}-session-${name}.png`), fullPage: true });
  const status = () => page.locator('#status');
  const output = () => page.locator('#output');
  const sessionCookie = async () => (await context.cookies(stack.url)).find((c) => c.name === COOKIE);

  test.skipIf(!hasChromium)('login, who is logged in, proxied calls and logout — no token ever reaches the page', async () => {
    const csp = cspWatch(page);
    const traffic = recordTraffic(context, page, stack.url);
    const callbackCookies: string[] = [];
    const sessionBodies: { expires_at: number }[] = [];
    const onResponse = async (r: PwResponse) => {
      const u = new URL(r.url());
      if (u.origin !== stack.url) return;
      if (u.pathname === '/api/v1/callback') callbackCookies.push(...(await r.headersArray()).filter((h) => h.name.toLowerCase() === 'set-cookie').map((h) => h.value));
      if (u.pathname === '/api/v1/session' && r.status() === 200) sessionBodies.push((await r.json()) as { expires_at: number });
    };
    context.on('response', onResponse);

    const first = await page.goto(`${stack.url}/`);
    expect(first?.status()).toBe(200);
    expect(first?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.waitForSelector('body[data-ready="true"]');
    await expect(status().textContent()).resolves.toBe('Not logged in');
    await expect(page.locator('#mode').textContent()).resolves.toBe('Session mode (backend for frontend)');
    expect(await page.locator('[data-for-mode="session"]').isVisible()).toBe(true);
    expect(await page.locator('[data-for-mode="fragment"]').isVisible()).toBe(false);
    expect(await page.locator('#protected').isDisabled()).toBe(true);
    await shot('01-logged-out');

    await openIdpLogin(page, stack.idp.issuer);
    await shot('02-idp-login-form');
    await signInAtIdp(page, HOSTILE_USER);

    await waitLoggedIn(page, NAME);
    expect(page.url()).toBe(`${stack.url}/`);

    // The cookie: only a random id, HttpOnly, SameSite=Lax, host-only (no Domain), Path=/.
    const set = callbackCookies.filter((c) => c.startsWith(`${COOKIE}=`));
    expect(set.length).toBe(1);
    expect(set[0]).toMatch(new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{43}; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Lax$`));
    const cookie = (await sessionCookie())!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });

    // What the gateway holds for this browser: the tokens that must never reach the page.
    const active = await stack.services.sessions!.resolve(`${COOKIE}=${cookie.value}`, { refresh: false });
    expect(active?.data.sub).toBe(HOSTILE_USER.sub);
    const { accessToken, refreshToken, idToken } = active!.data;
    expect(accessToken.length).toBeGreaterThan(20);
    expect(refreshToken?.length ?? 0).toBeGreaterThan(10); // offline_access: session mode refreshes server-side
    expect(idToken?.length ?? 0).toBeGreaterThan(20);
    const tokens = { access: accessToken, refresh: refreshToken!, id: idToken! };
    const expectNoToken = (where: string, text: string) => {
      for (const [kind, t] of Object.entries(tokens)) expect(`${where}: ${kind} token ${text.includes(t)}`).toBe(`${where}: ${kind} token false`);
      expect(`${where}: ${JWT.exec(text)?.[0] ?? 'no JWT'}`).toBe(`${where}: no JWT`);
    };
    const expectCleanPage = async (where: string) => {
      const view = await pageView(page);
      expect(view.localStorage).toEqual([]);
      expect(view.sessionStorage).toEqual([]);
      expect(view.cookie).not.toContain(COOKIE);
      expect(view.cookie).not.toContain(cookie.value);
      expectNoToken(`${where} DOM`, view.html);
      expectNoToken(`${where} text`, view.text);
      expectNoToken(`${where} resource URLs`, view.resources.join('\n'));
      expect(view.html).not.toContain(cookie.value);
    };

    // Who is logged in, from GET /api/v1/session: name, email, roles, and the session's end.
    await expect(page.locator('#who-name').textContent()).resolves.toBe(NAME);
    await expect(page.locator('#who-email').textContent()).resolves.toBe(EMAIL);
    expect((await page.locator('#who-roles').textContent())!.split(', ').sort()).toEqual(['admin', ROLE].sort());
    await expect(page.locator('#who-expires-label').textContent()).resolves.toBe('Session ends if unused until');
    const shownEnd = await page.locator('#who-expires').getAttribute('datetime');
    expect(sessionBodies.length).toBeGreaterThan(0);
    expect(shownEnd).toBe(new Date(sessionBodies.at(-1)!.expires_at * 1000).toISOString());
    expect(Date.parse(shownEnd!)).toBeGreaterThan(Date.now());
    await expectCleanPage('after login');
    await shot('03-logged-in');

    // The protected API through the proxy: X-CSRF sent, no Authorization from the page.
    const proxied = page.waitForRequest((r) => r.url() === `${stack.url}/api/v1/proxy/demo/protected`);
    await page.getByRole('button', { name: 'Call Protected Endpoint' }).click();
    const req = await proxied;
    expect(req.headers()['x-csrf']).toBe('1');
    expect(req.headers().authorization).toBeUndefined();
    await page.waitForFunction(() => document.getElementById('output')?.textContent?.includes('"status": 200'));
    const protectedText = (await output().textContent()) ?? '';
    expect(protectedText).toContain('Hello from the protected API');
    expect(protectedText).toContain(`"sub": "${HOSTILE_USER.sub}"`);
    expect(protectedText).toContain(`"${ROLE}"`);
    await expectCleanPage('after the protected call');
    await shot('04-protected-endpoint');

    await page.getByRole('button', { name: 'Fetch User Info' }).click();
    await page.waitForFunction(() => document.getElementById('output')?.textContent?.includes('"userinfo"'));
    const userinfoText = (await output().textContent()) ?? '';
    expect(userinfoText).toContain(`"name": "${NAME}"`);
    expect(userinfoText).toContain(`"email": "${EMAIL}"`);
    await expectCleanPage('after userinfo');
    await shot('05-userinfo');

    // The CSRF rule, from the page itself: without X-CSRF the proxy refuses and the upstream is not called.
    const before = counted;
    const noCsrf = await page.evaluate(async () => (await fetch('/api/v1/proxy/count/x')).status);
    expect(noCsrf).toBe(403);
    const withCsrf = await page.evaluate(async () => (await fetch('/api/v1/proxy/count/x', { headers: { 'x-csrf': '1' } })).status);
    expect(withCsrf).toBe(200);
    expect(counted).toBe(before + 1);

    await page.getByRole('button', { name: 'Logout' }).click();
    // Through the gateway's /api/v1/logout and the IdP's end_session back to the SPA.
    await page.waitForURL((u) => u.origin === stack.url && u.pathname === '/' && !u.search);
    await page.waitForSelector('body[data-ready="true"]');
    await expect(status().textContent()).resolves.toBe('Not logged in');
    expect(await page.locator('#who').isVisible()).toBe(false);
    expect(await sessionCookie()).toBeUndefined();
    // The session is over at the gateway: the old cookie, replayed, gets 401.
    const replay = await fetch(`${stack.url}/api/v1/session`, { headers: { cookie: `${COOKIE}=${cookie.value}` } });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ authenticated: false });
    expect(await page.evaluate(async () => (await fetch('/api/v1/session')).status)).toBe(401);
    await expectCleanPage('after logout');
    await shot('06-logged-out');

    // The IdP session ended too: logging in again asks for credentials.
    await openIdpLogin(page, stack.idp.issuer);
    await shot('07-login-again-asks-credentials');

    context.off('response', onResponse);
    traffic.stop();
    csp.stop();
    expect(csp.violations).toEqual([]);

    // Every URL the browser visited or was sent to: no access or refresh token, and nothing
    // JWT-shaped — except the ID token as id_token_hint on the way to the IdP's end_session.
    const endSession = `${stack.idp.issuer}/oidc/v1/end_session?`;
    expect(traffic.urls.some((u) => u.startsWith(`${stack.url}/api/v1/logout`))).toBe(true);
    const toEndSession = traffic.urls.filter((u) => u.startsWith(endSession));
    expect(toEndSession.length).toBeGreaterThan(0);
    for (const u of toEndSession) expect(new URL(u).searchParams.get('id_token_hint')).toBe(tokens.id);
    for (const u of traffic.urls) {
      expect(u.includes(tokens.access)).toBe(false);
      expect(u.includes(tokens.refresh)).toBe(false);
      if (!u.startsWith(endSession)) expectNoToken(`URL ${u.slice(0, 80)}`, u);
    }
    // Every response a script on the SPA origin could read (pages, scripts, fetches).
    const bodies = await traffic.bodies();
    expect(bodies.some((b) => b.url.endsWith('/api/v1/proxy/demo/protected'))).toBe(true);
    for (const b of bodies) expectNoToken(`body of ${new URL(b.url).pathname}`, b.text);
    // And none reached the gateway's log.
    expect(stack.logs.join('\n')).not.toMatch(JWT);
    expect(stack.logs.join('\n')).not.toContain(tokens.refresh);
  }, 120_000);

  test.skipIf(!hasChromium)('a page on another origin of the same site cannot use the session', async () => {
    // Log in first (the IdP session may still be there: then no form).
    await page.goto(`${stack.url}/api/v1/login`);
    if (await page.locator('#username').count()) {
      await signInAtIdp(page, HOSTILE_USER);
    }
    await waitLoggedIn(page, NAME);
    const before = counted;

    await page.goto(`http://127.0.0.1:${other.port}/`);
    const gw = stack.url;
    const attempts = await page.evaluate(async (gw) => {
      const tryFetch = async (path: string, init: RequestInit) => {
        try {
          const r = await fetch(`${gw}${path}`, { credentials: 'include', ...init });
          return `status ${r.status} ${r.type}`;
        } catch (e) {
          return `refused ${(e as Error).name}`;
        }
      };
      return {
        // A simple request (no preflight): the cookie goes along, the missing X-CSRF stops it.
        simple: await tryFetch('/api/v1/proxy/count/simple', {}),
        simplePost: await tryFetch('/api/v1/proxy/count/post', { method: 'POST', mode: 'no-cors', body: 'x=1', headers: { 'content-type': 'text/plain' } }),
        // With X-CSRF the browser must ask first (preflight): the gateway grants no CORS.
        preflighted: await tryFetch('/api/v1/proxy/count/preflighted', { headers: { 'x-csrf': '1' } }),
        session: await tryFetch('/api/v1/session', {}),
        logout: await tryFetch('/api/v1/session/logout', { method: 'POST', mode: 'no-cors' }),
      };
    }, gw);
    // Nothing was readable across origins, and nothing reached the upstream.
    expect(attempts.simple).toBe('refused TypeError');
    expect(attempts.simplePost).toBe('status 0 opaque');
    expect(attempts.preflighted).toBe('refused TypeError');
    expect(attempts.session).toBe('refused TypeError');
    expect(counted).toBe(before);

    // A form posted from there (a top-level navigation, cookie sent): 403, still no upstream call.
    await page.evaluate((gw) => {
      const f = document.createElement('form');
      f.method = 'POST';
      f.action = `${gw}/api/v1/proxy/count/form`;
      document.body.append(f);
      f.submit();
    }, gw);
    await page.waitForURL(`${gw}/api/v1/proxy/count/form`);
    expect(await page.locator('body').textContent()).toContain('access_denied');
    expect(counted).toBe(before);

    // The session survived all of it (the cross-origin logout POST was refused too).
    await page.goto(`${stack.url}/`);
    await waitLoggedIn(page, NAME);
    await shot('08-still-logged-in-after-cross-origin-attempts');
  }, 60_000);

  test.skipIf(!hasChromium)('a fragment is never stored in session mode; an error in it is shown as text', async () => {
    const fake = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl';
    // Leave the page first: a goto that only adds a fragment would not load it anew.
    await page.goto(`http://127.0.0.1:${other.port}/`);
    await page.goto(`${stack.url}/#access_token=${fake}&id_token=${fake}&expires_in=3600`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(page.url()).toBe(`${stack.url}/`);
    expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
    expect(await page.content()).not.toContain(fake);

    const payload = `${NAME} <img src=x onerror="window.__pwned=1"> "🦄"`;
    await page.goto(`http://127.0.0.1:${other.port}/`);
    await page.goto(`${stack.url}/#${new URLSearchParams({ error: 'access_denied', error_description: payload })}`);
    await page.waitForSelector('body[data-ready="true"]');
    await expect(page.locator('#error').textContent()).resolves.toBe(`access_denied: ${payload}`);
    expect(await page.locator('#error img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(page.url()).toBe(`${stack.url}/`);
  });

  test.skipIf(!hasChromium)('without a demo upstream the page says how to configure one and keeps the API buttons off', async () => {
    const bare = await stack.gateway({ ZITAUTH_UPSTREAMS: undefined });
    try {
      expect(await (await fetch(`${bare.url}/spa-config.json`)).json()).toEqual({ mode: 'session', gatewayUrl: '', returnTo: null, api: null });
      await page.goto(`${bare.url}/`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.locator('#no-api').isVisible()).toBe(true);
      expect(await page.locator('#no-api').textContent()).toContain('ZITAUTH_UPSTREAMS=demo=');
      expect(await page.locator('#protected').isDisabled()).toBe(true);
      expect(await page.locator('#userinfo').isDisabled()).toBe(true);
      expect(await page.locator('#login').isDisabled()).toBe(false);
    } finally {
      await bare.stop();
    }
  });
});
