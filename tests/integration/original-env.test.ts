/**
 * Drop-in check: a gateway configured with the original ZitAuth's .env variable names only
 * (no ZITAUTH_* at all) runs all five endpoints end to end against the Zitadel-shaped IdP.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startStack, type Stack } from '../support/stack.ts';
import { bearerGet, loginThroughGateway } from '../support/gateway-login.ts';

const ZITAUTH_VARS = ['ZITAUTH_HOST', 'ZITAUTH_PROJECT_ID', 'ZITAUTH_COOKIE_SECRET', 'ZITAUTH_HTTP_TIMEOUT_MS', 'ZITAUTH_LOG_LEVEL'];

describe('original ZitAuth .env only', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: Object.fromEntries(ZITAUTH_VARS.map((k) => [k, undefined])) });
    expect(Object.keys(stack.env).filter((k) => k.startsWith('ZITAUTH_'))).toEqual([]);
  });
  afterAll(() => stack.close());

  test('login → callback → validate → userinfo', async () => {
    const t = await loginThroughGateway(stack.idp, stack.url);
    expect(t.location.startsWith(`${stack.env.SPA_ORIGIN}/#`)).toBe(true);
    const v = await bearerGet(`${stack.url}/api/v1/validate`, t.access_token);
    expect(v.status).toBe(200);
    expect(((await v.json()) as { sub: string }).sub).toBe('300000000000000010');
    const u = await bearerGet(`${stack.url}/api/v1/userinfo`, t.access_token);
    expect(u.status).toBe(200);
    expect(((await u.json()) as { userinfo: { email: string } }).userinfo.email).toBe('demo@zitauth.localhost');
  });

  test('m2m-token (loopback) → the token validates: the own service user is an accepted audience', async () => {
    const m = await fetch(`${stack.url}/api/v1/m2m-token`);
    expect(m.status).toBe(200);
    const { access_token } = (await m.json()) as { access_token: string };
    const v = await bearerGet(`${stack.url}/api/v1/validate`, access_token);
    expect(v.status).toBe(200);
    expect(((await v.json()) as { sub: string }).sub).toBe(stack.idp.serviceUserKey.userId);
  });

  test('a token for a foreign audience is still refused', async () => {
    const token = await stack.idp.mintAccessToken({ claims: { aud: ['some-other-app'] } });
    const v = await bearerGet(`${stack.url}/api/v1/validate`, token);
    expect(v.status).toBe(401);
    expect(((await v.json()) as { error_description: string }).error_description).toBe('audience mismatch');
  });

  test('the log says how to pin the audience', () => {
    expect(stack.logs.some((l) => l.includes('ZITAUTH_PROJECT_ID is not set'))).toBe(true);
  });
});

describe('m2m-token through a same-host reverse proxy without API keys', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  test('a request carrying X-Forwarded-For gets 403, a direct loopback request 200', async () => {
    const proxied = await fetch(`${stack.url}/api/v1/m2m-token`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(proxied.status).toBe(403);
    expect(((await proxied.json()) as { error_description: string }).error_description).toContain('ZITAUTH_M2M_API_KEYS');
    expect((await fetch(`${stack.url}/api/v1/m2m-token`)).status).toBe(200);
  });
});
