/**
 * Back-channel logout from the dev IdP, in Zitadel v4's shape (src/devidp/backchannel.ts cites the
 * sources): one form-encoded logout token per registered login, `typ: JWT`, events, sid matching the
 * ID token's, delivered after end_session and logoutUser; 400 is final, other failures retried.
 * The receiving app is a real HTTP server on a free loopback port.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startDevIdp, type DevIdp, type DevIdpUser } from '../../src/devidp/index.ts';
import { CookieJar, cookieFetch } from '../support/cookie-fetch.ts';
import { codeLogin, endSessionUrl } from '../support/devidp-client.ts';

const REDIRECT = 'http://127.0.0.1:1/callback';
const POST_LOGOUT = 'http://127.0.0.1:1/bye';
const USER: DevIdpUser = {
  sub: '300000000000000077',
  username: 'josé@exämple.com',
  password: 'pässwörd "1"',
  email: 'josé@exämple.com',
  name: '山田太郎',
  roles: ['管理者'],
};
const creds = { username: USER.username, password: USER.password };

interface Received {
  contentType: string | null;
  body: string;
  token: string;
}

/** A back-channel receiver answering with `status()` and recording what it got. */
function receiver(status: () => number) {
  const got: Received[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const body = await req.text();
      got.push({ contentType: req.headers.get('content-type'), body, token: new URLSearchParams(body).get('logout_token') ?? '' });
      return new Response(null, { status: status() });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/api/v1/backchannel-logout`, got, stop: () => server.stop(true) };
}

let app: ReturnType<typeof receiver>;
let answer = 200;
let idp: DevIdp;

beforeAll(async () => {
  app = receiver(() => answer);
  idp = await startDevIdp({ redirectUris: [REDIRECT], postLogoutRedirectUris: [POST_LOGOUT], users: [USER], backChannelLogoutUri: app.url, backChannelLogoutRetryDelaysMs: [50] });
});
afterAll(async () => {
  await idp.close();
  await app.stop();
});

describe('back-channel logout', () => {
  test('end_session: one logout token, form-encoded, verifiable, Zitadel claims, sid = the ID token\'s', async () => {
    answer = 200;
    app.got.length = 0;
    const jar = new CookieJar();
    const t = await codeLogin(idp, { redirectUri: REDIRECT, creds, jar });
    const idSid = decodeJwt(String(t.id_token)).sid;
    expect(app.got).toHaveLength(0); // nothing at login

    const res = await cookieFetch(jar)(endSessionUrl(idp, { id_token_hint: String(t.id_token), post_logout_redirect_uri: POST_LOGOUT }));
    expect(res.status).toBe(302);
    await idp.backChannelSettled();

    expect(app.got).toHaveLength(1);
    const [got] = app.got;
    expect(got!.contentType).toBe('application/x-www-form-urlencoded');
    expect([...new URLSearchParams(got!.body).keys()]).toEqual(['logout_token']);
    const { payload, protectedHeader } = await jwtVerify(got!.token, createRemoteJWKSet(new URL(`${idp.issuer}/oauth/v2/keys`)), {
      issuer: idp.issuer,
      audience: idp.clientId,
      typ: 'JWT',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(Object.keys(payload)).toEqual(['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'events', 'sid']);
    expect(payload).toMatchObject({ sub: USER.sub, aud: [idp.clientId], sid: idSid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect(payload.nonce).toBeUndefined();
    expect(payload.exp! - payload.iat!).toBe(15 * 60 + 1);
    expect(idp.backChannelLogouts.at(-1)).toMatchObject({ sub: USER.sub, sid: idSid, jti: payload.jti, outcome: 'delivered', attempts: 1, statuses: [200] });
    expect(idp.counts['backchannel_logout:200']).toBeGreaterThanOrEqual(1);
  });

  test('logoutUser ends every session of the user and notifies each login (one token per OIDC session)', async () => {
    answer = 204;
    app.got.length = 0;
    const jarA = new CookieJar();
    const a1 = await codeLogin(idp, { redirectUri: REDIRECT, creds, jar: jarA });
    const a2 = await codeLogin(idp, { redirectUri: REDIRECT, creds, jar: jarA }); // SSO: same session, second OIDC session
    const b = await codeLogin(idp, { redirectUri: REDIRECT, creds }); // another browser
    const sidA = decodeJwt(String(a1.id_token)).sid;
    expect(decodeJwt(String(a2.id_token)).sid).toBe(sidA);
    const sidB = decodeJwt(String(b.id_token)).sid;
    expect(sidB).not.toBe(sidA);

    const deliveries = await idp.logoutUser(USER.sub);
    expect(deliveries.map((d) => d.sid).sort()).toEqual([sidA, sidA, sidB].sort() as string[]);
    expect(deliveries.every((d) => d.outcome === 'delivered' && d.statuses[0] === 204)).toBe(true);
    expect(new Set(deliveries.map((d) => d.jti)).size).toBe(3);
    expect(app.got).toHaveLength(3);
    // The sessions are gone: a second call has nothing to end.
    expect(await idp.logoutUser(USER.sub)).toEqual([]);
  });

  test('a 400 from the app is final (Zitadel logs it); a 500 is retried up to 3 attempts with the same jti', async () => {
    answer = 400;
    await codeLogin(idp, { redirectUri: REDIRECT, creds });
    const [rejected] = await idp.logoutUser(USER.sub);
    expect(rejected).toMatchObject({ outcome: 'rejected', attempts: 1, statuses: [400] });

    answer = 503;
    app.got.length = 0;
    await codeLogin(idp, { redirectUri: REDIRECT, creds });
    const [failed] = await idp.logoutUser(USER.sub);
    expect(failed).toMatchObject({ outcome: 'failed', attempts: 3, statuses: [503, 503, 503] });
    expect(new Set(app.got.map((g) => decodeJwt(g.token).jti))).toEqual(new Set([failed!.jti]));
  });

  test('an unreachable app counts as a failed attempt (status 0), and end_session does not wait for it', async () => {
    const gone = receiver(() => 200);
    await gone.stop();
    const other = await startDevIdp({ redirectUris: [REDIRECT], users: [USER], backChannelLogoutUri: gone.url, backChannelLogoutRetryDelaysMs: [20] });
    try {
      const jar = new CookieJar();
      await codeLogin(other, { redirectUri: REDIRECT, creds, jar });
      const res = await cookieFetch(jar)(endSessionUrl(other, { client_id: other.clientId }));
      expect(res.status).toBe(302);
      expect(other.backChannelLogouts[0]?.outcome).toBe('pending');
      await other.backChannelSettled();
      expect(other.backChannelLogouts[0]).toMatchObject({ outcome: 'failed', attempts: 3, statuses: [0, 0, 0] });
      expect(other.counts['backchannel_logout:0']).toBe(3);
    } finally {
      await other.close();
    }
  });

  test('without backChannelLogoutUri nothing is sent', async () => {
    const plain = await startDevIdp({ redirectUris: [REDIRECT], users: [USER] });
    try {
      await codeLogin(plain, { redirectUri: REDIRECT, creds });
      expect(await plain.logoutUser(USER.sub)).toEqual([]);
      expect(plain.backChannelLogouts).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
