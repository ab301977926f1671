/**
 * The SPA login in a real browser (headless Chromium via playwright-core; never downloads one):
 * gateway serving the embedded SPA (ZITAUTH_SERVE_SPA=true, SPA_ORIGIN = the gateway), dev IdP
 * login form, token in the fragment, protected API, userinfo, logout ending the IdP session.
 * Screenshots land in test-output/screenshots/ for humans reviewing a CI run.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemTool } from '../support/system-tool.ts';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_USER } from '../../src/devidp/index.ts';
import { freePort, startStack, type Stack } from '../support/stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(import.meta.dir, '../../test-output/screenshots');

let stack: Stack;
let context: BrowserContext;
let page: Page;
let profile: string;

const hasChromium = systemTool(CHROMIUM, 'chromium', 'tests/e2e/browser.test.ts');

beforeAll(async () => {
  if (!hasChromium) return;
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  stack = await startStack({
    port,
    env: { SPA_ORIGIN: url, ZITAUTH_SERVE_SPA: 'true', ZITAUTH_LOG_LEVEL: 'info' },
    idp: { postLogoutRedirectUris: [`${url}/`] },
  });
  profile = mkdtempSync(join(tmpdir(), 'zitauth-chromium-'));
  mkdirSync(SHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await stack?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const status = () => page.locator('#status');
const output = () => page.locator('#output');

test.skipIf(!hasChromium)('login, protected call, userinfo and logout in Chromium', async () => {
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });

  const first = await page.goto(`${stack.url}/`);
  expect(first?.status()).toBe(200);
  await page.waitForSelector('body[data-ready="true"]');
  await expect(status().textContent()).resolves.toBe('Not logged in');
  await shot('01-spa-logged-out');

  await page.getByRole('button', { name: 'Login via ZitAuth' }).click();
  await page.waitForSelector('#username');
  expect(new URL(page.url()).origin).toBe(stack.idp.issuer);
  await shot('02-idp-login-form');
  await page.fill('#username', DEMO_USER.username);
  await page.fill('#password', DEMO_USER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();

  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Access token received');
  // Back on the SPA, and the tokens are gone from the address bar.
  expect(new URL(page.url()).origin).toBe(stack.url);
  expect(page.url()).not.toContain('#');
  expect(page.url()).not.toContain('access_token');
  expect(await page.evaluate(() => sessionStorage.getItem('zitauth.access_token')?.length ?? 0)).toBeGreaterThan(20);
  await shot('03-token-received');

  await page.getByRole('button', { name: 'Call Protected Endpoint' }).click();
  await page.waitForFunction(() => document.getElementById('output')?.textContent?.includes('"status": 200'));
  const protectedText = (await output().textContent()) ?? '';
  expect(protectedText).toContain(`"sub": "${DEMO_USER.sub}"`);
  expect(protectedText).toContain('Hello from the protected API');
  await shot('04-protected-endpoint');

  await page.getByRole('button', { name: 'Fetch User Info' }).click();
  await page.waitForFunction(() => document.getElementById('output')?.textContent?.includes('"userinfo"'));
  expect(await output().textContent()).toContain(DEMO_USER.email);
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
  await page.getByRole('button', { name: 'Login via ZitAuth' }).click();
  await page.waitForSelector('#username');
  expect(new URL(page.url()).origin).toBe(stack.idp.issuer);
  await shot('07-login-again-asks-credentials');

  expect(cspViolations).toEqual([]);
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

test.skipIf(!hasChromium)('the page names a favicon that loads and decodes under its CSP', async () => {
  const cspViolations: string[] = [];
  const onConsole = (m: { text(): string }) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  };
  page.on('console', onConsole);
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
    expect(cspViolations).toEqual([]);
  } finally {
    page.off('console', onConsole);
  }
});
