/**
 * The dev IdP's sign-in page in a real browser (headless Chromium via playwright-core) on a 390 px
 * wide phone screen: nothing overflows horizontally (also with long hostile values and the error
 * message), and a non-ASCII user typed into the form signs in (UTF-8 form post). Screenshots land
 * in test-output/screenshots/ for humans reviewing a run.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startDevIdp, type DevIdp, type DevIdpUser } from '../../src/devidp/index.ts';
import { authorizeUrl, pkce } from '../support/oidc.ts';
import { hasChromium as chromiumInstalled, launchChromium, SHOTS, type Browser } from './chromium.ts';

const USER: DevIdpUser = { sub: '300000000000000201', username: '山田太郎', password: 'パスワード 1!', email: 'taro@例え.jp', name: '山田 太郎', roles: ['管理者'] };
const hasChromium = chromiumInstalled('tests/e2e/devidp-login-page.test.ts');

let idp: DevIdp;
let app: ReturnType<typeof Bun.serve>;
let callback: string;
let browser: Browser;
let page: Page;
const codes: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  // The app's callback: a real loopback server, so the browser's final redirect lands somewhere.
  app = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (req) => {
      const url = new URL(req.url);
      if (url.pathname === '/callback') codes.push(url.searchParams.get('code') ?? '');
      return new Response('<!doctype html><title>app</title><p id="done">back in the app</p>', { headers: { 'content-type': 'text/html' } });
    },
  });
  callback = `http://127.0.0.1:${app.port}/callback`;
  idp = await startDevIdp({ redirectUris: [callback], users: [USER], clientId: `zitauth-spa-${'0123456789'.repeat(12)}@zitauth` });
  browser = await launchChromium({ viewport: { width: 390, height: 844 } });
  page = browser.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await idp?.close();
  await app?.stop(true);
});

/** Widest content vs. the viewport: > 0 means a horizontal scrollbar on a phone. */
const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test.skipIf(!hasChromium)('the sign-in page fits 390 px, shows errors without overflowing, and takes a non-ASCII login', async () => {
  const p = pkce();
  const hint = `${'josé.müller-ñúñez+'.repeat(6)}@exämple.com`;
  await page.goto(authorizeUrl(idp, { redirectUri: callback, challenge: p.challenge, state: 'st', extra: { login_hint: hint } }));
  await page.waitForSelector('#username');
  expect(await page.evaluate(() => window.innerWidth)).toBe(390);
  expect(await page.inputValue('#username')).toBe(hint);
  expect(await overflow()).toBeLessThanOrEqual(0);
  // Styled like the SPA: the accent colour on the button, the system font.
  expect(await page.locator('button[type=submit]').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(59, 91, 219)');
  await page.screenshot({ path: join(SHOTS, 'devidp-login-390.png'), fullPage: true });

  await page.fill('#username', USER.username);
  await page.fill('#password', 'wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('.error');
  expect(await page.inputValue('#username')).toBe(USER.username);
  expect(await overflow()).toBeLessThanOrEqual(0);
  await page.screenshot({ path: join(SHOTS, 'devidp-login-390-error.png'), fullPage: true });

  await page.fill('#password', USER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('#done');
  expect(new URL(page.url()).origin + new URL(page.url()).pathname).toBe(callback);
  expect(codes.at(-1)).toBeTruthy();
}, 60_000);
