/**
 * Refresh tokens as Zitadel issues them (src/devidp/token-endpoint.ts cites the sources): only with
 * offline_access, rotated on every use, the previous one refused with 400 invalid_request while the
 * session lives on, an ID token on every refresh, counted per grant type. Real time where expiry
 * is the point (no injected clock).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startDevIdp, DEMO_USER, type DevIdp } from '../../src/devidp/index.ts';
import { body, codeLogin, form, introspect, refresh } from '../support/devidp-client.ts';

const REDIRECT = 'http://127.0.0.1:1/callback';
const demo = { username: DEMO_USER.username, password: DEMO_USER.password };
const SCOPE = 'openid profile email offline_access';

let idp: DevIdp;
beforeAll(async () => {
  idp = await startDevIdp({ redirectUris: [REDIRECT], accessTokenTtlSec: 2 });
});
afterAll(() => idp.close());


describe('refresh tokens', () => {
  test('come only with offline_access', async () => {
    expect((await codeLogin(idp, { redirectUri: REDIRECT, creds: demo })).refresh_token).toBeUndefined();
    expect(typeof (await codeLogin(idp, { redirectUri: REDIRECT, creds: demo, scope: SCOPE })).refresh_token).toBe('string');
  });

  test('each refresh rotates the token and returns new tokens, an ID token with the same sid, no scope', async () => {
    const first = await codeLogin(idp, { redirectUri: REDIRECT, creds: demo, scope: SCOPE, nonce: 'nonce-ü' });
    const sid = decodeJwt(String(first.id_token)).sid;
    expect(typeof sid).toBe('string');
    idp.resetCounts();

    const res = await refresh(idp, String(first.refresh_token));
    expect(res.status).toBe(200);
    const second = await body(res);
    expect(Object.keys(second).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_token', 'token_type']);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(idp.counts['token:refresh_token']).toBe(1);

    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/oauth/v2/keys`));
    const id = await jwtVerify(String(second.id_token), jwks, { issuer: idp.issuer, audience: idp.clientId });
    expect(id.payload).toMatchObject({ sub: DEMO_USER.sub, sid, azp: idp.clientId, nonce: 'nonce-ü', email: DEMO_USER.email });
    expect(id.payload.auth_time).toBe(decodeJwt(String(first.id_token)).auth_time!);
    await jwtVerify(String(second.access_token), jwks, { issuer: idp.issuer, typ: 'JWT' });

    // The new refresh token works; the old one is refused without ending the session.
    const reused = await refresh(idp, String(first.refresh_token));
    expect(reused.status).toBe(400);
    expect(await body(reused)).toEqual({ error: 'invalid_request', error_description: 'Errors.OIDCSession.RefreshTokenInvalid' });
    const third = await refresh(idp, String(second.refresh_token));
    expect(third.status).toBe(200);
    expect(idp.counts['token:refresh_token']).toBe(3);
  });

  test('of two concurrent refreshes with one token exactly one succeeds, and its token stays valid', async () => {
    const t = await codeLogin(idp, { redirectUri: REDIRECT, creds: demo, scope: SCOPE });
    const answers = await Promise.all([refresh(idp, String(t.refresh_token)), refresh(idp, String(t.refresh_token))]);
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400]);
    const winner = await body(answers.find((r) => r.status === 200)!);
    expect((await refresh(idp, String(winner.refresh_token))).status).toBe(200);
  });

  test('an unknown refresh token and a missing one are 400 invalid_request', async () => {
    for (const value of ['garbage', '山田太郎', 'x'.repeat(4000)]) {
      const res = await refresh(idp, value);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(JSON.parse(text).error).toBe('invalid_request');
      expect(text).not.toContain(value);
    }
    const res = await fetch(`${idp.issuer}/oauth/v2/token`, form({ grant_type: 'refresh_token', client_id: idp.clientId }));
    expect(res.status).toBe(400);
    expect((await body(res)).error).toBe('invalid_request');
  });

  test('a short access-token lifetime expires for real; refreshing brings a live one', async () => {
    const t = await codeLogin(idp, { redirectUri: REDIRECT, creds: demo, scope: SCOPE });
    expect(t.expires_in).toBeLessThanOrEqual(2);
    expect((await body(await introspect(idp, String(t.access_token)))).active).toBe(true);
    // Poll (real time) until the 2 s token is no longer active.
    let active = true;
    for (let i = 0; i < 100 && active; i++) {
      await Bun.sleep(100);
      active = (await body(await introspect(idp, String(t.access_token)))).active === true;
    }
    expect(active).toBe(false);
    const fresh = await body(await refresh(idp, String(t.refresh_token)));
    expect((await body(await introspect(idp, String(fresh.access_token)))).active).toBe(true);
  });

  test('ending the IdP session revokes its refresh tokens', async () => {
    const t = await codeLogin(idp, { redirectUri: REDIRECT, creds: demo, scope: SCOPE });
    await idp.logoutUser(DEMO_USER.sub);
    const res = await refresh(idp, String(t.refresh_token));
    expect(res.status).toBe(400);
    expect((await body(res)).error).toBe('invalid_request');
  });
});
