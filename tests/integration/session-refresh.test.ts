/**
 * Session refresh with real time (no injected clock): the access token is refreshed ahead of
 * expiry exactly once however many requests arrive together — Zitadel rotates refresh tokens,
 * so a second concurrent refresh would be refused and log the user out — and with the IdP down
 * the session is kept (the still-valid token is used), not ended.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { cookieFetch } from '../support/cookie-fetch.ts';
import { sessionLogin } from '../support/session-login.ts';

const REFRESH = 'token:refresh_token';
// Tokens live 63 s and are refreshed 60 s ahead: due 3 s after they were issued.
const TTL = 63;
const SKEW = 60;

describe.each(CONFIG_MODES)('session refresh (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      mode,
      idp: { accessTokenTtlSec: TTL },
      env: { ZITAUTH_LOGIN_MODE: 'session', ZITAUTH_SESSION_REFRESH_SKEW_SEC: String(SKEW) },
    });
  });
  afterAll(() => stack.close());

  test('20 concurrent requests as the token nears expiry → exactly one refresh grant, no failed call', async () => {
    const { jar } = await sessionLogin(stack.idp, stack.url);
    const f = cookieFetch(jar);
    const before = stack.idp.counts[REFRESH] ?? 0;
    // Not due yet: no refresh.
    expect((await f(`${stack.url}/api/v1/forward-auth`)).status).toBe(200);
    expect(stack.idp.counts[REFRESH] ?? 0).toBe(before);
    await Bun.sleep((TTL - SKEW) * 1000 + 500);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => f(`${stack.url}/api/v1/forward-auth`).then((r) => r.status)));
    expect(statuses).toEqual(Array(20).fill(200));
    expect((stack.idp.counts[REFRESH] ?? 0) - before).toBe(1);
    // The refreshed token is fresh: the next calls do not refresh again, and the session lives on.
    for (let i = 0; i < 5; i++) expect((await f(`${stack.url}/api/v1/forward-auth`)).status).toBe(200);
    expect((stack.idp.counts[REFRESH] ?? 0) - before).toBe(1);
    expect((await f(`${stack.url}/api/v1/session`)).status).toBe(200);
  });

  test('the refreshed access token is a new, valid one (forward-auth hands it over)', async () => {
    const own = await startStack({
      mode,
      idp: { accessTokenTtlSec: TTL },
      env: { ZITAUTH_LOGIN_MODE: 'session', ZITAUTH_SESSION_REFRESH_SKEW_SEC: String(SKEW), ZITAUTH_FORWARD_ACCESS_TOKEN: 'true' },
    });
    try {
      const { jar } = await sessionLogin(own.idp, own.url);
      const f = cookieFetch(jar);
      const first = (await f(`${own.url}/api/v1/forward-auth`)).headers.get('x-auth-request-access-token');
      await Bun.sleep((TTL - SKEW) * 1000 + 500);
      const second = (await f(`${own.url}/api/v1/forward-auth`)).headers.get('x-auth-request-access-token');
      expect(second).not.toBe(first);
      expect((await fetch(`${own.url}/api/v1/validate`, { headers: { authorization: `Bearer ${second}` } })).status).toBe(200);
    } finally {
      await own.close();
    }
  });

  test('IdP unreachable when a refresh is due: the still-valid token is used, the session is kept', async () => {
    const { jar } = await sessionLogin(stack.idp, stack.url);
    const f = cookieFetch(jar);
    await Bun.sleep((TTL - SKEW) * 1000 + 500);
    await stack.idp.setFault('refuse');
    try {
      expect((await f(`${stack.url}/api/v1/forward-auth`)).status).toBe(200);
      expect((await f(`${stack.url}/api/v1/session`)).status).toBe(200);
    } finally {
      await stack.idp.setFault(null);
    }
  });
});
