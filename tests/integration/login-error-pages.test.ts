/**
 * Browser-facing failures of /login, /callback and /logout (issue 15, first ten minutes): a
 * browser (Accept: text/html) gets a page saying what went wrong, with a link back to the app and
 * the page's security headers; API clients keep the RFC-style JSON. Hostile input is escaped in
 * the page and never echoed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, SPA_ORIGIN, startStack, type Stack } from '../support/stack.ts';
import { finishGatewayLogin, startGatewayLogin } from '../support/gateway-login.ts';

const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const HOSTILE = '<script>alert("山田")</script>\r\n';

describe.each(CONFIG_MODES)('error pages for browsers (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode });
  });
  afterAll(() => stack.close());

  async function expectPage(res: Response, status: number) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).toContain(`<a class="button" href="${SPA_ORIGIN}/">Back to the app</a>`);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('山田');
    return html;
  }

  test('a bad return_to: a page for the browser, JSON for API clients', async () => {
    const url = `${stack.url}/api/v1/login?return_to=${encodeURIComponent(`https://evil.example/${HOSTILE}`)}`;
    const html = await expectPage(await fetch(url, { headers: BROWSER, redirect: 'manual' }), 400);
    expect(html).toContain('return_to must stay within the allowed SPA origin');
    const api = await fetch(url, { redirect: 'manual' });
    expect(api.status).toBe(400);
    expect(api.headers.get('content-type')).toContain('application/json');
    expect(((await api.json()) as { error: string }).error).toBe('invalid_request');
  });

  test('a stale or replayed callback (Back after the login) is a page', async () => {
    const pending = await startGatewayLogin(stack.idp, stack.url);
    expect((await finishGatewayLogin({ callback: pending.callback, cookie: pending.cookie })).status).toBe(302);
    const replay = await fetch(pending.callback, { headers: { ...BROWSER, cookie: pending.cookie }, redirect: 'manual' });
    const html = await expectPage(replay, 400);
    expect(html).toContain('already completed');
    const noCookie = await fetch(`${stack.url}/api/v1/callback?state=${encodeURIComponent(HOSTILE)}&code=x`, { headers: BROWSER, redirect: 'manual' });
    await expectPage(noCookie, 400);
  });

  test('a post_logout_redirect_uri outside the allow-list is a page', async () => {
    const res = await fetch(`${stack.url}/api/v1/logout?post_logout_redirect_uri=${encodeURIComponent(`https://evil.example/${HOSTILE}`)}`, { headers: BROWSER, redirect: 'manual' });
    const html = await expectPage(res, 400);
    expect(html).toContain('post_logout_redirect_uri is not in the allow-list');
  });

  test('the IdP unreachable at /login: a 503 page with Retry-After', async () => {
    const g = await stack.gateway({}, { fetch: (() => Promise.reject(new TypeError('refused'))) as unknown as typeof fetch });
    try {
      const res = await fetch(`${g.url}/api/v1/login`, { headers: BROWSER, redirect: 'manual' });
      if (mode === 'explicit') {
        // The authorization endpoint is configured: the login starts without asking the IdP.
        expect(res.status).toBe(302);
      } else {
        const html = await expectPage(res, 503);
        expect(html).toContain('Sign-in is unavailable right now');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    } finally {
      await g.stop();
    }
  });
});
