/**
 * The dev IdP's JWT-profile grant (service user key file), as Zitadel answers it — current
 * Zitadel (client = username) and v2.61 and older (client = userId); v2.71…v4.13.1's 500 on a bad
 * assertion and Zitadel main's 400. Sources are cited in src/devidp/jwt-bearer.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.ts';
import { serviceUserAssertion } from '../support/assertion.ts';
import { body, form, introspect, JWT_BEARER, jwtBearer } from '../support/devidp-client.ts';
import { ORG } from '../support/hostile.ts';

const REDIRECT = 'http://127.0.0.1:1/callback';

const idps: DevIdp[] = [];
afterAll(async () => {
  for (const i of idps) await i.close();
});
async function start(o: Parameters<typeof startDevIdp>[0] extends infer T ? Partial<T> : never = {}): Promise<DevIdp> {
  const idp = await startDevIdp({ redirectUris: [REDIRECT], ...o });
  idps.push(idp);
  return idp;
}

const grant = async (idp: DevIdp, scope?: string, o?: Parameters<typeof serviceUserAssertion>[2]) =>
  jwtBearer(idp, await serviceUserAssertion(idp.serviceUserKey, idp.issuer, o), scope);

describe('current Zitadel (client = the service user\'s username)', () => {
  let idp: DevIdp;
  beforeAll(async () => {
    idp = await start({ serviceUserName: 'svc-山田-🤖' });
  });

  test('openid is not required; no id_token, no scope, aud = [username]', async () => {
    idp.resetCounts();
    const res = await grant(idp, 'profile');
    expect(res.status).toBe(200);
    const t = await body(res);
    expect(Object.keys(t).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(t.token_type).toBe('Bearer');
    const { payload, protectedHeader } = await jwtVerify(String(t.access_token), createRemoteJWKSet(new URL(`${idp.issuer}/oauth/v2/keys`)), { issuer: idp.issuer });
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload.sub).toBe(idp.serviceUserKey.userId);
    expect(payload.client_id).toBe('svc-山田-🤖');
    expect(payload.aud).toEqual(['svc-山田-🤖']);
    expect(idp.serviceUser).toEqual({ userId: idp.serviceUserKey.userId, username: 'svc-山田-🤖' });
    expect(idp.counts['token:urn:ietf:params:oauth:grant-type:jwt-bearer']).toBe(1);
    // Not for our API: introspection says inactive (the common trap).
    expect(await body(await introspect(idp, String(t.access_token)))).toEqual({ active: false });
  });

  test('with openid an id_token comes back: aud ⊇ [username], azp = username, exp = iat', async () => {
    const t = await body(await grant(idp, 'openid'));
    expect(t.scope).toBeUndefined();
    expect(t.refresh_token).toBeUndefined();
    const id = decodeJwt(String(t.id_token));
    expect(decodeProtectedHeader(String(t.id_token)).typ).toBe('JWT');
    expect(id).toMatchObject({ iss: idp.issuer, sub: idp.serviceUserKey.userId, aud: ['svc-山田-🤖'], azp: 'svc-山田-🤖', client_id: 'svc-山田-🤖' });
    // clientCredentialsClient.IDTokenLifetime() is 0: the ID token is expired on arrival.
    expect(id.exp).toBe(id.iat!);
    expect(id.nonce).toBeUndefined();
    expect(id.sid).toBeUndefined();
    expect(id.email).toBeUndefined();
  });

  test('the audience scope puts the project in aud; only with a roles scope as well come roles, per project only', async () => {
    const aud = `urn:zitadel:iam:org:project:id:${idp.projectId}:aud`;
    const rolesClaim = `urn:zitadel:iam:org:project:${idp.projectId}:roles`;

    const audOnly = decodeJwt(String((await body(await grant(idp, `openid ${aud}`))).access_token));
    expect(audOnly.aud).toEqual([idp.projectId]);
    expect(audOnly.client_id).toBe('svc-山田-🤖');
    expect(audOnly[rolesClaim]).toBeUndefined();

    const rolesOnly = decodeJwt(String((await body(await grant(idp, 'openid urn:zitadel:iam:org:projects:roles'))).access_token));
    expect(rolesOnly[rolesClaim]).toBeUndefined();

    const both = await body(await grant(idp, `openid ${aud} urn:zitadel:iam:org:projects:roles`));
    const at = decodeJwt(String(both.access_token));
    expect(at[rolesClaim]).toEqual({ m2m: ORG });
    expect(at['urn:zitadel:iam:org:project:roles']).toBeUndefined();
    const id = decodeJwt(String(both.id_token));
    expect(id.aud).toEqual([idp.projectId, 'svc-山田-🤖']);
    expect(id[rolesClaim]).toEqual({ m2m: ORG });

    // A role scope both asks for roles and filters them.
    const asked = decodeJwt(String((await body(await grant(idp, `${aud} urn:zitadel:iam:org:project:role:m2m`))).access_token));
    expect(asked[rolesClaim]).toEqual({ m2m: ORG });
    const other = decodeJwt(String((await body(await grant(idp, `${aud} urn:zitadel:iam:org:project:role:管理者`))).access_token));
    expect(other[rolesClaim]).toBeUndefined();

    // Introspection by the project's API: active, both claim forms (the introspecting app's project).
    const i = await body(await introspect(idp, String(both.access_token)));
    expect(i).toMatchObject({ active: true, sub: idp.serviceUserKey.userId, client_id: 'svc-山田-🤖', scope: `openid ${aud} urn:zitadel:iam:org:projects:roles` });
    expect(i[rolesClaim]).toEqual({ m2m: ORG });
    expect(i['urn:zitadel:iam:org:project:roles']).toEqual({ m2m: ORG });
  });

  test('unknown scopes are dropped silently; an empty scope is 400 invalid_request', async () => {
    const t = await body(await grant(idp, `made:up urn:zitadel:iam:org:project:id:${idp.projectId}:aud`));
    expect((await body(await introspect(idp, String(t.access_token)))).scope).toBe(`urn:zitadel:iam:org:project:id:${idp.projectId}:aud`);
    for (const scope of [undefined, '', '   ']) {
      const res = await grant(idp, scope);
      expect(res.status).toBe(400);
      expect((await body(res)).error).toBe('invalid_request');
    }
  });

  test('a missing assertion is 400 invalid_request', async () => {
    const res = await fetch(`${idp.issuer}/oauth/v2/token`, form({ grant_type: JWT_BEARER, scope: 'openid' }));
    expect(res.status).toBe(400);
    expect((await body(res)).error).toBe('invalid_request');
  });

  test('a PS256 assertion with the same RSA key is accepted (go-jose allows RS256, PS256, ES256)', async () => {
    expect((await grant(idp, 'openid', { header: { alg: 'PS256' } })).status).toBe(200);
  });

  test('userinfo of a service-user token: profile only with the profile scope, no roles without the scopes', async () => {
    const plain = await body(await grant(idp, 'openid'));
    const u1 = await body(await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${plain.access_token}` } }));
    expect(u1).toEqual({ sub: idp.serviceUserKey.userId });
    const prof = await body(await grant(idp, 'openid profile'));
    const u2 = await body(await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${prof.access_token}` } }));
    expect(u2).toEqual({ sub: idp.serviceUserKey.userId, name: 'svc-山田-🤖', preferred_username: 'svc-山田-🤖' });
  });
});

describe('bad assertions', () => {
  let released: DevIdp;
  let main: DevIdp;
  beforeAll(async () => {
    [released, main] = await Promise.all([start(), start({ jwtProfileErrors: 'current' })]);
  });
  const now = () => Math.floor(Date.now() / 1000);
  const CASES: [string, (idp: DevIdp) => Parameters<typeof serviceUserAssertion>[2]][] = [
    ['aud is the token endpoint', (idp) => ({ claims: { aud: `${idp.issuer}/oauth/v2/token` } })],
    ['aud has a trailing slash', (idp) => ({ claims: { aud: `${idp.issuer}/` } })],
    ['exp is within 1 s', () => ({ claims: { exp: now() } })],
    ['iat more than 1 h old', () => ({ claims: { iat: now() - 3700 } })],
    ['iat in the future', () => ({ claims: { iat: now() + 60 } })],
    ['iat missing', () => ({ claims: { iat: undefined } })],
    ['iss is not sub', () => ({ claims: { iss: 'someone "else"\r\n' } })],
    ['iss and sub are another user', () => ({ claims: { iss: '山田太郎', sub: '山田太郎' } })],
    ['kid is unknown', () => ({ header: { kid: 'other' } })],
    ['signed by another key', (idp) => ({ key: idp.apiApp.key.key })],
  ];

  test.each(CASES)("v2.71 … v4.13.1 (default): 500 server_error Errors.Internal when %s", async (_name, make) => {
    const res = await grant(released, 'openid', make(released));
    expect(res.status).toBe(500);
    expect(await body(res)).toEqual({ error: 'server_error', error_description: 'Errors.Internal' });
  });

  test.each(CASES)("Zitadel main ('current'): 400 invalid_grant when %s", async (_name, make) => {
    const res = await grant(main, 'openid', make(main));
    expect(res.status).toBe(400);
    expect(await body(res)).toEqual({ error: 'invalid_grant', error_description: 'invalid assertion' });
  });

  test('a garbage assertion is an assertion error too, never a crash', async () => {
    for (const assertion of ['garbage', 'a.b.c', `x.${Buffer.from('[1]').toString('base64url')}.y`, '..']) {
      const res = await jwtBearer(released, assertion, 'openid');
      expect(res.status).toBe(500);
      expect((await body(res)).error).toBe('server_error');
    }
  });
});

describe('older Zitadel (v2.61 and before: client = userId)', () => {
  test('client_id and aud are the userId; the id_token is for the userId', async () => {
    const idp = await start({ jwtProfileClient: 'userId' });
    const t = await body(await grant(idp, 'openid'));
    const at = decodeJwt(String(t.access_token));
    expect(at.client_id).toBe(idp.serviceUserKey.userId);
    expect(at.aud).toEqual([idp.serviceUserKey.userId]);
    const id = decodeJwt(String(t.id_token));
    expect(id.aud).toEqual([idp.serviceUserKey.userId]);
    expect(id.azp).toBe(idp.serviceUserKey.userId);
    // Opaque tokens minted for the service user follow the same client.
    const opaque = await idp.mintOpaqueToken({ sub: idp.serviceUserKey.userId, aud: [idp.projectId] });
    expect((await body(await introspect(idp, opaque))).client_id).toBe(idp.serviceUserKey.userId);
  });
});

describe('opaque service-user tokens', () => {
  test('are introspectable with the audience scope', async () => {
    const idp = await start({ serviceUserAccessTokenFormat: 'opaque' });
    const scope = `urn:zitadel:iam:org:project:id:${idp.projectId}:aud`;
    const t = await body(await grant(idp, scope));
    expect(String(t.access_token).split('.').length).not.toBe(3);
    expect(await body(await introspect(idp, String(t.access_token)))).toMatchObject({ active: true, sub: idp.serviceUserKey.userId, client_id: 'zitauth-m2m' });
  });
});
