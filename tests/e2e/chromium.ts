/**
 * Headless Chromium for the browser tests, via playwright-core against the system's Chromium
 * (never a downloaded one): one persistent profile in a temp directory per test file, the flags
 * that keep it off the network (no component updates, no sync, no background requests: every
 * request it makes goes to the loopback servers under test).
 */
import { afterAll, beforeAll, expect } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { systemTool } from '../support/system-tool.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** For humans reviewing a CI run; gitignored. */
export const SHOTS = join(import.meta.dir, '../../test-output/screenshots');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Whether Chromium is installed (skips with a notice, or fails in CI, when it is not). */
export const hasChromium = (testFile: string) => systemTool(CHROMIUM, 'chromium', testFile);

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** `viewport`: e.g. a phone's 390 × 844; Playwright's default otherwise. */
export async function launchChromium(opts: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'zitauth-chromium-'));
  mkdirSync(SHOTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, ...(opts.viewport ? { viewport: opts.viewport } : {}) });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * One Chromium for a whole test file: launched before its tests (when installed), handed to
 * `onLaunch`, closed after them. Returns whether Chromium is installed (for `test.skipIf`).
 */
export function chromiumForFile(testFile: string, onLaunch: (b: Browser) => void): boolean {
  const installed = hasChromium(testFile);
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!installed) return;
    browser = await launchChromium();
    onLaunch(browser);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return installed;
}

/** Collects Content-Security-Policy violations reported on the console while `page` is watched. */
export function cspWatch(page: Page): { violations: string[]; stop(): void } {
  const violations: string[] = [];
  const onConsole = (m: { text(): string }) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  };
  page.on('console', onConsole);
  return { violations, stop: () => page.off('console', onConsole) };
}

/** Fills and submits the dev IdP's login form (the page must show it). */
export async function signInAtIdp(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the demo SPA says who is logged in. */
export function waitLoggedIn(page: Page, name: string): Promise<unknown> {
  return page.waitForFunction((n) => document.getElementById('status')?.textContent === `Logged in as ${n}`, name);
}

/** Clicks the demo SPA's login button and waits for the IdP's login form, on the IdP's origin. */
export async function openIdpLogin(page: Page, issuer: string): Promise<void> {
  await page.getByRole('button', { name: 'Login via ZitAuth' }).click();
  await page.waitForSelector('#username');
  expect(new URL(page.url()).origin).toBe(issuer);
}
