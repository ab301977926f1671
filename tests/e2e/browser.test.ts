/**
 * The fragment-mode SPA login in a real browser (headless Chromium via playwright-core; never
 * downloads one): gateway serving the embedded SPA (ZITAUTH_SERVE_SPA=true, SPA_ORIGIN = the
 * gateway, the default ZITAUTH_LOGIN_MODE=fragment), dev IdP login form, token in the fragment,
 * who is logged in (from the ID token) and until when, protected API, userinfo, logout ending
 * the IdP session — in both configuration modes (one browser, one stack per mode), for a user who
 * types a non-ASCII login name and password and is called 山田太郎. A hostile error description in
 * the fragment is shown as text, never run. Screenshots land in test-output/screenshots/ (one
 * set per mode) for humans reviewing a CI run. Session mode: browser-session.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { CONFIG_MODES, freePort, startStack, type Stack } from '../support/stack.ts';
import { EMAIL, HOSTILE_USER, NAME, ROLE } from '../support/hostile.ts';
import { chromiumForFile, cspWatch, openIdpLogin, signInAtIdp, SHOTS, waitLoggedIn } from './chromium.ts';

let context: BrowserContext;
let page: Page;

const hasChromium = chromiumForFile('tests/e2e/browser.test.ts', (b) => ({ context, page } = b));

const status = () => page.locator('#status');
const output = () => page.locator('#output');

describe.each(CONFIG_MODES)('SPA in Chromium (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    if (!hasChromium) return;
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    stack = await startStack({
      mode,
      port,
      env: { SPA_ORIGIN: url, ZITAUTH_SERVE_SPA: 'true', ZITAUTH_LOG_LEVEL: 'info' },
      idp: { postLogoutRedirectUris: [`${url}/`], users: [HOSTILE_USER] },
    });
    await context.clearCookies();
  });
  afterAll(() => stack?.close());

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${mode}-fragment-${name}.png`), fullPage: true });

  test.skipIf(!hasChromium)('login, who is logged in, protected call, userinfo and logout in Chromium', async () => {
    const csp = cspWatch(page);

    const first = await page.goto(`${stack.url}/`);
    expect(first?.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]');
    await expect(status().textContent()).resolves.toBe('Not logged in');
    await expect(page.locator('#mode').textContent()).resolves.toBe('Fragment mode (the original ZitAuth)');
    expect(await page.locator('[data-for-mode="fragment"]').isVisible()).toBe(true);
    expect(await page.locator('[data-for-mode="session"]').isVisible()).toBe(false);
    expect(await page.locator('#who').isVisible()).toBe(false);
    await shot('01-spa-logged-out');

    await openIdpLogin(page, stack.idp.issuer);
    await shot('02-idp-login-form');
    await signInAtIdp(page, HOSTILE_USER);

    await waitLoggedIn(page, NAME);
    // Back on the SPA, and the tokens are gone from the address bar.
    expect(new URL(page.url()).origin).toBe(stack.url);
    expect(page.url()).not.toContain('#');
    expect(page.url()).not.toContain('access_token');
    expect(await page.evaluate(() => sessionStorage.getItem('zitauth.access_token')?.length ?? 0)).toBeGreaterThan(20);
    // Who: from the ID token's claims (UTF-8 decoded); until when: the access token's expires_in.
    await expect(page.locator('#who-name').textContent()).resolves.toBe(NAME);
    await expect(page.locator('#who-email').textContent()).resolves.toBe(EMAIL);
    expect((await page.locator('#who-roles').textContent())!.split(', ').sort()).toEqual(['admin', ROLE].sort());
    await expect(page.locator('#who-expires-label').textContent()).resolves.toBe('Access token expires');
    const stored = await page.evaluate(() => Number(sessionStorage.getItem('zitauth.expires_at')));
    expect(stored).toBeGreaterThan(Date.now());
    await expect(page.locator('#who-expires').getAttribute('datetime')).resolves.toBe(new Date(stored).toISOString());
    await shot('03-logged-in');

    await page.getByRole('button', { name: 'Call Protected Endpoint' }).click();
    await page.waitForFunction(() => document.getElementById('output')?.textContent?.includes('"status": 200'));
    const protectedText = (await output().textContent()) ?? '';
    expect(protectedText).toContain(`"sub": "${HOSTILE_USER.sub}"`);
    expect(protectedText).toContain('Hello from the protected API');
    await shot('04-protected-endpoint');

    await page.getByRole('button', { name: 'Fetch User Info' }).click();
    await page.waitForFunction(() => document.getElementById('output')?.textContent?.includes('"userinfo"'));
    const userinfoText = (await output().textContent()) ?? '';
    expect(userinfoText).toContain(`"email": "${EMAIL}"`);
    expect(userinfoText).toContain(`"name": "${NAME}"`);
    await shot('05-userinfo');

    await page.getByRole('button', { name: 'Logout' }).click();
    // The IdP returns to the post-logout URI (with the gateway's `state`, which the SPA tidies away).
    await page.waitForURL((u) => u.origin === stack.url && u.pathname === '/');
    await page.waitForSelector('body[data-ready="true"]');
    await expect(status().textContent()).resolves.toBe('Not logged in');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(page.url()).toBe(`${stack.url}/`);
    await shot('06-logged-out');

    // The Zitadel (dev IdP) session ended too: logging in again asks for credentials.
    await openIdpLogin(page, stack.idp.issuer);
    await shot('07-login-again-asks-credentials');

    csp.stop();
    expect(csp.violations).toEqual([]);
    // No token reached the gateway's log.
    const logs = stack.logs.join('\n');
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  }, 90_000);

  test.skipIf(!hasChromium)('an error in the fragment is shown and removed from the URL', async () => {
    await page.goto(`${stack.url}/#error=access_denied&error_description=The%20user%20cancelled`);
    await page.waitForSelector('body[data-ready="true"]');
    await expect(page.locator('#error').textContent()).resolves.toBe('access_denied: The user cancelled');
    expect(page.url()).toBe(`${stack.url}/`);
    await shot('08-error-fragment');
  });

  test.skipIf(!hasChromium)('a hostile error description from a real callback is shown as text, never run as markup', async () => {
    // Through the gateway's own callback, as an IdP (or an attacker's link) would send it: the
    // gateway passes the description on in the fragment, the SPA must only ever display it.
    const payload = `${NAME} <img src=x onerror="window.__pwned=1"> "🦄"\r\n</div><script>window.__pwned=2</script>`;
    const login = await fetch(`${stack.url}/api/v1/login`, { redirect: 'manual' });
    const state = new URL(login.headers.get('location')!).searchParams.get('state')!;
    // The browser holds the state cookie of that login, as after a real /login visit.
    const pair = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const eq = pair.indexOf('=');
    await context.addCookies([{ name: pair.slice(0, eq), value: pair.slice(eq + 1), url: `${stack.url}/api/v1/callback` }]);
    await page.goto(`${stack.url}/api/v1/callback?${new URLSearchParams({ state, error: 'access_denied', error_description: payload })}`);
    await page.waitForSelector('body[data-ready="true"]');
    await expect(page.locator('#error').textContent()).resolves.toBe(`access_denied: ${payload}`);
    expect(await page.locator('#error img, #error script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(page.url()).toBe(`${stack.url}/`);
    await shot('09-hostile-error-fragment');
  });

  test.skipIf(!hasChromium)('the page names a favicon that loads and decodes under its CSP', async () => {
    const csp = cspWatch(page);
    try {
      await page.goto(`${stack.url}/`);
      await page.waitForSelector('body[data-ready="true"]');
      const icon = await page.evaluate(async () => {
        const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href;
        if (!href) return { href: null, width: 0 };
        // Loaded as an image, exactly as the CSP's img-src sees a favicon.
        const img = new Image();
        img.src = href;
        await img.decode();
        return { href, width: img.naturalWidth };
      });
      expect(icon.href).toBe(`${stack.url}/spa/favicon.svg`);
      expect(icon.width).toBeGreaterThan(0);
      // Browsers that ignore the link still ask for /favicon.ico.
      const ico = await fetch(`${stack.url}/favicon.ico`);
      expect(ico.status).toBe(200);
      expect(ico.headers.get('content-type')).toBe('image/svg+xml');
      expect(csp.violations).toEqual([]);
    } finally {
      csp.stop();
    }
  });
});
