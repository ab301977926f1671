/**
 * /api/v1/userinfo: the original ZitAuth's `{ userinfo: {...} }` proxy of Zitadel's userinfo, for
 * JWT and opaque access tokens, with RFC 6750 errors for missing/bad tokens.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { startStack, type Stack } from '../support/stack.ts';
import { bearerGet, bodyOf, loginThroughGateway } from '../support/gateway-login.ts';
import { DEMO_USER } from '../../src/devidp/index.ts';

let stack: Stack;
let U: string;
beforeAll(async () => {
  stack = await startStack();
  U = `${stack.url}/api/v1/userinfo`;
});
afterAll(() => stack.close());

test('JWT access token (minted and from a real login) → 200 { userinfo: { sub, … } }', async () => {
  for (const token of [await stack.idp.mintAccessToken(), (await loginThroughGateway(stack.idp, stack.url)).access_token]) {
    const res = await bearerGet(U, token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { userinfo: Record<string, unknown> };
    expect(body.userinfo.sub).toBe(DEMO_USER.sub);
    expect(body.userinfo.email).toBe(DEMO_USER.email);
  }
});

test('opaque access token → 200', async () => {
  const res = await bearerGet(U, await stack.idp.mintOpaqueToken());
  expect(res.status).toBe(200);
  expect(((await res.json()) as { userinfo: { sub: string } }).userinfo.sub).toBe(DEMO_USER.sub);
});

test('missing header → 400 invalid_request with a Bearer challenge', async () => {
  const res = await fetch(U);
  expect(res.status).toBe(400);
  expect((await bodyOf(res)).json.error).toBe('invalid_request');
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="zitauth"');
  expect((await bearerGet(U, undefined, { raw: 'Basic abc' })).status).toBe(400);
});

test('garbage, expired or unknown tokens → 401 invalid_token', async () => {
  for (const t of ['garbage', await stack.idp.mintAccessToken({ expiresInSec: -3600 }), 'x'.repeat(43)]) {
    const res = await bearerGet(U, t);
    expect(res.status).toBe(401);
    const { json } = await bodyOf(res);
    expect(json.error).toBe('invalid_token');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  }
});
