/**
 * Regression for issue 11 item 2: the original ZitAuth's `.env` sets all four endpoint URLs, and
 * that used to switch discovery off — opaque tokens answered 503 "no introspection endpoint" and
 * /api/v1/logout 503, although the README says those endpoints are discovered. Now optional
 * endpoints come from discovery lazily (a failure not fatal), else Zitadel's fixed paths.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SPA_ORIGIN, startStack, type Stack } from '../support/stack.ts';
import { bearerGet } from '../support/gateway-login.ts';

const DISCOVERY = '/.well-known/openid-configuration';

describe('original .env with four explicit endpoint URLs', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: 'explicit', env: { ZITAUTH_INTROSPECTION_KEY_FILE: '{introKeyFile}' } });
  });
  afterAll(() => stack.close());

  test('the gateway serves JWTs without ever fetching discovery', async () => {
    const g = await stack.gateway();
    try {
      stack.idp.resetCounts();
      expect((await bearerGet(`${g.url}/api/v1/validate`, await stack.idp.mintAccessToken())).status).toBe(200);
      expect(stack.idp.counts[DISCOVERY] ?? 0).toBe(0);
    } finally {
      await g.stop();
    }
  });

  test('regression: opaque tokens validate (the introspection endpoint is discovered on first need)', async () => {
    const token = await stack.idp.mintOpaqueToken();
    const res = await bearerGet(`${stack.url}/api/v1/validate?role=admin`, token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sub: string }).sub).toBe('300000000000000010');
  });

  test('regression: /api/v1/logout redirects to the discovered end_session endpoint', async () => {
    const res = await fetch(`${stack.url}/api/v1/logout?state=${encodeURIComponent('é&x=1')}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(`${loc.origin}${loc.pathname}`).toBe(`${stack.idp.issuer}/oidc/v1/end_session`);
    expect(loc.searchParams.get('post_logout_redirect_uri')).toBe(`${SPA_ORIGIN}/`);
    expect(loc.searchParams.get('state')).toBe('é&x=1');
  });

  test("discovery unreachable: Zitadel's fixed paths under the issuer, a warning logged, nothing fatal", async () => {
    // Only the discovery document fails (as behind a proxy that blocks it); everything else answers.
    const blockDiscovery: typeof fetch = Object.assign(
      (input: string | URL | Request, init?: RequestInit) =>
        String(input instanceof Request ? input.url : input).endsWith(DISCOVERY) ? Promise.reject(new TypeError('connection refused')) : fetch(input, init),
      { preconnect: fetch.preconnect },
    );
    const before = stack.logs.length;
    const g = await stack.gateway({}, { fetch: blockDiscovery });
    try {
      const token = await stack.idp.mintOpaqueToken();
      expect((await bearerGet(`${g.url}/api/v1/validate`, token)).status).toBe(200);
      const out = await fetch(`${g.url}/api/v1/logout`, { redirect: 'manual' });
      expect(out.status).toBe(302);
      expect(new URL(out.headers.get('location')!).pathname).toBe('/oidc/v1/end_session');
      const warnings = stack.logs.slice(before).filter((l) => l.includes('"level":"warn"') && l.includes('discovery failed'));
      expect(warnings.length).toBe(1);
    } finally {
      await g.stop();
    }
  });
});
