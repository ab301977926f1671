/**
 * Opaque access tokens at /api/v1/validate through RFC 7662 introspection at the dev IdP, with
 * the API application's key file (private_key_jwt) or client id/secret (Basic), plus caching — in
 * both configuration modes (with the original `.env`'s explicit URLs the introspection endpoint
 * is discovered on first need). The user is 山田太郎 <josé@exämple.com> with role 管理者.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { bearerGet, bodyOf } from '../support/gateway-login.ts';
import { EMAIL, expectCleanRefusal, HOSTILE_USER, HOSTILE_VALUES, NAME, ROLE, ROLES_CLAIM } from '../support/hostile.ts';

const INTROSPECT = '/oauth/v2/introspect';
const validate = (url: string, token: string) => bearerGet(`${url}/api/v1/validate`, token);

describe.each(CONFIG_MODES)('opaque tokens through introspection (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode, env: { ZITAUTH_INTROSPECTION_KEY_FILE: '{introKeyFile}' }, idp: { users: [HOSTILE_USER] } });
  });
  afterAll(() => stack.close());

  describe('private_key_jwt (ZITAUTH_INTROSPECTION_KEY_FILE)', () => {
    test('opaque token with the project in aud → 200 with claims; repeated validation hits the cache', async () => {
      const token = await stack.idp.mintOpaqueToken({ aud: [stack.idp.clientId, stack.idp.projectId] });
      stack.idp.resetCounts();
      const res = await validate(stack.url, token);
      expect(res.status).toBe(200);
      const claims = (await res.json()) as Record<string, unknown>;
      expect(claims.sub).toBe(HOSTILE_USER.sub);
      expect(claims.iss).toBe(stack.idp.issuer);
      expect(typeof claims.exp).toBe('number');
      expect(typeof claims.iat).toBe('number');
      expect([claims.aud].flat()).toContain(stack.idp.projectId);
      expect(claims.active).toBeUndefined();
      expect([claims.name, claims.email]).toEqual([NAME, EMAIL]);
      expect(Object.keys(claims[ROLES_CLAIM] as object).sort()).toEqual(['admin', ROLE].sort());
      for (let i = 0; i < 5; i++) expect((await validate(stack.url, token)).status).toBe(200);
      expect(stack.idp.counts[INTROSPECT]).toBe(1);
    });

    test('roles from introspection satisfy ?role= (管理者 included); hostile roles → 403, never echoed', async () => {
      const token = await stack.idp.mintOpaqueToken();
      expect((await bearerGet(`${stack.url}/api/v1/validate?role=admin`, token)).status).toBe(200);
      expect((await bearerGet(`${stack.url}/api/v1/validate?role=${encodeURIComponent(ROLE)}`, token)).status).toBe(200);
      expect((await bearerGet(`${stack.url}/api/v1/validate?role=nope`, token)).status).toBe(403);
      for (const value of HOSTILE_VALUES) {
        const res = await bearerGet(`${stack.url}/api/v1/validate?role=${encodeURIComponent(value)}`, token);
        expect(`${JSON.stringify(value)} ${(await expectCleanRefusal(res, [value], value)).error}`).toBe(`${JSON.stringify(value)} insufficient_scope`);
      }
    });

    test('unknown, expired, or not-for-us tokens are inactive → 401 invalid_token', async () => {
      const tokens = [
        'unknown-opaque-token-0123456789abcdefghijklmnop',
        // Opaque-shaped (no dots, b64token characters) but never issued: never echoed back.
        `unknown-${Buffer.from('山田太郎 🍣').toString('base64url')}-0123456789`,
        await stack.idp.mintOpaqueToken({ expiresInSec: -60 }),
        await stack.idp.mintOpaqueToken({ aud: ['some-other-project'] }),
      ];
      for (const t of tokens) {
        const res = await validate(stack.url, t);
        expect(res.status).toBe(401);
        expect((await expectCleanRefusal(res, [t])).error).toBe('invalid_token');
        expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      }
    });

    test('JWTs are still verified locally (no introspection call)', async () => {
      stack.idp.resetCounts();
      expect((await validate(stack.url, await stack.idp.mintAccessToken())).status).toBe(200);
      expect(stack.idp.counts[INTROSPECT]).toBeUndefined();
    });
  });

  describe('Basic auth (ZITAUTH_INTROSPECTION_CLIENT_ID/SECRET)', () => {
    test('validates an opaque token', async () => {
      const g = await stack.gateway({
        ZITAUTH_INTROSPECTION_KEY_FILE: undefined,
        ZITAUTH_INTROSPECTION_CLIENT_ID: stack.idp.apiApp.clientId,
        ZITAUTH_INTROSPECTION_CLIENT_SECRET: stack.idp.apiApp.clientSecret,
      });
      try {
        const res = await validate(g.url, await stack.idp.mintOpaqueToken());
        expect(res.status).toBe(200);
        expect(((await res.json()) as { sub: string }).sub).toBe(HOSTILE_USER.sub);
      } finally {
        await g.stop();
      }
    });

    test('wrong gateway credentials → 502, not a 401 blaming the caller', async () => {
      const g = await stack.gateway({
        ZITAUTH_INTROSPECTION_KEY_FILE: undefined,
        ZITAUTH_INTROSPECTION_CLIENT_ID: stack.idp.apiApp.clientId,
        ZITAUTH_INTROSPECTION_CLIENT_SECRET: 'not-the-secret',
      });
      try {
        const res = await validate(g.url, await stack.idp.mintOpaqueToken());
        expect(res.status).toBe(502);
        const { json, text } = await bodyOf(res);
        expect(json.error).toBe('server_error');
        expect(text).not.toContain('not-the-secret');
      } finally {
        await g.stop();
      }
    });
  });

  test('without introspection configured an opaque token → 401 saying how to enable it', async () => {
    const g = await stack.gateway({ ZITAUTH_INTROSPECTION_KEY_FILE: undefined });
    try {
      const res = await validate(g.url, await stack.idp.mintOpaqueToken());
      expect(res.status).toBe(401);
      const { json } = await bodyOf(res);
      expect(json.error).toBe('invalid_token');
      expect(String(json.error_description)).toContain('ZITAUTH_INTROSPECTION_KEY_FILE');
    } finally {
      await g.stop();
    }
  });
});
