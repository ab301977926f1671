/**
 * /api/v1/userinfo: the original ZitAuth's `{ userinfo: {...} }` proxy of Zitadel's userinfo, for
 * JWT and opaque access tokens, with RFC 6750 errors for missing/bad tokens — in both
 * configuration modes, for a user whose profile is all non-ASCII (山田太郎, josé@exämple.com, 管理者).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { bearerGet, bodyOf, loginThroughGateway } from '../support/gateway-login.ts';
import { asHeader, EMAIL, expectCleanRefusal, HOSTILE_CREDS, HOSTILE_USER, NAME, ROLE, ROLES_CLAIM } from '../support/hostile.ts';

describe.each(CONFIG_MODES)('/api/v1/userinfo (%s endpoints)', (mode) => {
  let stack: Stack;
  let U: string;
  beforeAll(async () => {
    stack = await startStack({ mode, idp: { users: [HOSTILE_USER] } });
    U = `${stack.url}/api/v1/userinfo`;
  });
  afterAll(() => stack.close());

  test('JWT access token (minted and from a real login) → 200 { userinfo: { sub, … } } with the non-ASCII profile intact', async () => {
    for (const token of [await stack.idp.mintAccessToken(), (await loginThroughGateway(stack.idp, stack.url, HOSTILE_CREDS)).access_token]) {
      const res = await bearerGet(U, token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = (await res.json()) as { userinfo: Record<string, unknown> };
      expect(body.userinfo.sub).toBe(HOSTILE_USER.sub);
      expect(body.userinfo.email).toBe(EMAIL);
      expect(body.userinfo.name).toBe(NAME);
      expect(body.userinfo.preferred_username).toBe(HOSTILE_USER.username);
      expect(Object.keys(body.userinfo[ROLES_CLAIM] as object)).toContain(ROLE);
    }
  });

  test('opaque access token → 200', async () => {
    const res = await bearerGet(U, await stack.idp.mintOpaqueToken());
    expect(res.status).toBe(200);
    const { userinfo } = (await res.json()) as { userinfo: { sub: string; family_name: string } };
    expect(userinfo.sub).toBe(HOSTILE_USER.sub);
    expect(userinfo.family_name).toBe('山田');
  });

  test('missing header → 400 invalid_request with a Bearer challenge', async () => {
    const res = await fetch(U);
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).json.error).toBe('invalid_request');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="zitauth"');
    expect((await bearerGet(U, undefined, { raw: 'Basic abc' })).status).toBe(400);
  });

  test('non-ASCII or quoted Authorization values → 400 JSON, never echoed, never sent to the IdP', async () => {
    stack.idp.resetCounts();
    for (const value of [`Bearer ${NAME}`, `Bearer ${EMAIL}`, 'Bearer "🔑"', `${ROLE} token`]) {
      const res = await bearerGet(U, undefined, { raw: asHeader(value) });
      const json = await expectCleanRefusal(res, [value.replace(/^Bearer /, '')], value);
      expect(`${value} ${res.status} ${json.error}`).toBe(`${value} 400 invalid_request`);
    }
    expect(stack.idp.counts['/oidc/v1/userinfo']).toBeUndefined();
  });

  test('garbage, expired or unknown tokens → 401 invalid_token', async () => {
    for (const t of ['garbage', await stack.idp.mintAccessToken({ expiresInSec: -3600 }), 'x'.repeat(43)]) {
      const res = await bearerGet(U, t);
      expect(res.status).toBe(401);
      const json = await expectCleanRefusal(res, [t]);
      expect(json.error).toBe('invalid_token');
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });
});
