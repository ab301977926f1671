/**
 * The dev IdP, driven with plain fetch the way the gateway (and a browser) would talk to Zitadel.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { startDevIdp, DEMO_USER, type DevIdp } from '../../src/devidp/index.ts';
import { clientAssertion, serviceUserAssertion } from '../support/assertion.ts';
import { CookieJar, cookieFetch } from '../support/cookie-fetch.ts';
import { loginWithFetch, LoginRejected } from '../support/login.ts';
import { authorizeUrl, exchangeCode, pkce } from '../support/oidc.ts';

const REDIRECT = 'http://127.0.0.1:1/callback';
const POST_LOGOUT = 'http://127.0.0.1:1/signed-out';
const demo = { username: DEMO_USER.username, password: DEMO_USER.password };
const form = (o: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
});

let idp: DevIdp;

beforeAll(async () => {
  idp = await startDevIdp({ redirectUris: [REDIRECT], postLogoutRedirectUris: [POST_LOGOUT] });
});
afterAll(() => idp.close());

/** Full code + PKCE login; returns the token response. */
async function login(o: { scope?: string; jar?: CookieJar } = {}): Promise<Record<string, unknown>> {
  const p = pkce();
  const url = authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p.challenge, state: 'st-1', nonce: 'n-1', scope: o.scope });
  const cb = new URL(await loginWithFetch(idp, url, demo, { jar: o.jar }));
  expect(cb.origin + cb.pathname).toBe(REDIRECT);
  expect(cb.searchParams.get('state')).toBe('st-1');
  const res = await exchangeCode(idp, { code: cb.searchParams.get('code') ?? '', redirectUri: REDIRECT, verifier: p.verifier });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const introspect = (token: string, auth: 'basic' | string = 'basic') =>
  fetch(`${idp.issuer}/oauth/v2/introspect`, {
    ...form(
      auth === 'basic'
        ? { token }
        : { token, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: auth },
    ),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth === 'basic' ? { authorization: `Basic ${btoa(`${encodeURIComponent(idp.apiApp.clientId)}:${idp.apiApp.clientSecret}`)}` } : {}),
    },
  });

const jwtBearer = async (assertion: string, scope = 'openid') =>
  fetch(`${idp.issuer}/oauth/v2/token`, form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, scope }));

describe('discovery and keys', () => {
  test('discovery lists Zitadel paths and S256 only', async () => {
    const d = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(d.issuer).toBe(idp.issuer);
    expect(d.authorization_endpoint).toBe(`${idp.issuer}/oauth/v2/authorize`);
    expect(d.token_endpoint).toBe(`${idp.issuer}/oauth/v2/token`);
    expect(d.jwks_uri).toBe(`${idp.issuer}/oauth/v2/keys`);
    expect(d.introspection_endpoint).toBe(`${idp.issuer}/oauth/v2/introspect`);
    expect(d.revocation_endpoint).toBe(`${idp.issuer}/oauth/v2/revoke`);
    expect(d.userinfo_endpoint).toBe(`${idp.issuer}/oidc/v1/userinfo`);
    expect(d.end_session_endpoint).toBe(`${idp.issuer}/oidc/v1/end_session`);
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
    expect(d.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:jwt-bearer');
  });

  test('JWKS is cacheable for 300 s and lists the active key', async () => {
    const res = await fetch(`${idp.issuer}/oauth/v2/keys`);
    expect(res.headers.get('cache-control')).toBe('max-age=300');
    const { keys } = (await res.json()) as { keys: { kid: string; d?: string }[] };
    expect(keys.map((k) => k.kid)).toContain(idp.activeKid());
    expect(keys.every((k) => k.d === undefined)).toBe(true);
  });
});

describe('login (authorization code + PKCE)', () => {
  test('yields a Zitadel-shaped JWT access token and an ID token', async () => {
    idp.resetCounts();
    const t = await login();
    expect(t.token_type).toBe('Bearer');
    expect(typeof t.expires_in).toBe('number');
    expect(typeof t.id_token).toBe('string');
    expect(t.scope).toBe('openid profile email');
    expect(t.refresh_token).toBeUndefined();
    expect(idp.counts['/oauth/v2/token']).toBe(1);
    expect(idp.counts['token:authorization_code']).toBe(1);

    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/oauth/v2/keys`));
    const { payload, protectedHeader } = await jwtVerify(String(t.access_token), jwks, { issuer: idp.issuer, typ: 'JWT' });
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.kid).toBe(idp.activeKid());
    expect(payload.sub).toBe(DEMO_USER.sub);
    expect(payload.aud).toEqual([idp.clientId, idp.apiApp.clientId, idp.projectId]);
    expect(payload.client_id).toBe(idp.clientId);
    expect(payload.scope).toBeUndefined();
    expect(typeof payload.nbf).toBe('number');
    expect(typeof payload.jti).toBe('string');
    const roles = { admin: { '300000000000000000': 'zitauth.localhost' } };
    expect(payload['urn:zitadel:iam:org:project:roles']).toEqual(roles);
    expect(payload[`urn:zitadel:iam:org:project:${idp.projectId}:roles`]).toEqual(roles);

    const id = await jwtVerify(String(t.id_token), jwks, { issuer: idp.issuer, audience: idp.clientId });
    expect(id.payload.nonce).toBe('n-1');
    expect(id.payload.email).toBe(DEMO_USER.email);
  });

  test('offline_access adds a refresh token; unknown scopes are dropped', async () => {
    const t = await login({ scope: 'openid offline_access made:up urn:zitadel:iam:org:projects:roles' });
    expect(typeof t.refresh_token).toBe('string');
    expect(String(t.scope).split(' ').sort()).toEqual(['offline_access', 'openid', 'urn:zitadel:iam:org:projects:roles']);
    const res = await fetch(`${idp.issuer}/oauth/v2/token`, form({ grant_type: 'refresh_token', refresh_token: String(t.refresh_token), client_id: idp.clientId }));
    expect(res.status).toBe(200);
  });

  test('wrong password shows the form again with an error', async () => {
    const p = pkce();
    const url = authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p.challenge, state: 's' });
    await expect(loginWithFetch(idp, url, { username: demo.username, password: 'nope' })).rejects.toBeInstanceOf(LoginRejected);

    // And by hand: the second answer is 200 with the error text.
    const jar = new CookieJar();
    const f = cookieFetch(jar);
    let res = await f(url);
    while (res.status >= 300 && res.status < 400) res = await f(new URL(res.headers.get('location') ?? '', idp.issuer));
    const html = await res.text();
    expect(html).toContain('name="username"');
    expect(html).toContain('Sign in');
    const action = html.match(/action="([^"]+)"/)?.[1] ?? '';
    const again = await f(new URL(action, idp.issuer), form({ username: demo.username, password: 'nope' }));
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('incorrect');
  });

  test('codes are single-use and bound to the verifier and redirect_uri', async () => {
    const p = pkce();
    const url = authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p.challenge, state: 's' });
    const code = new URL(await loginWithFetch(idp, url, demo)).searchParams.get('code') ?? '';
    const noVerifier = await exchangeCode(idp, { code, redirectUri: REDIRECT });
    expect(noVerifier.status).toBe(400);
    expect(((await noVerifier.json()) as { error: string }).error).toBe('invalid_request');
    const wrongVerifier = await exchangeCode(idp, { code, redirectUri: REDIRECT, verifier: pkce().verifier });
    expect(wrongVerifier.status).toBe(400);
    expect(((await wrongVerifier.json()) as { error: string }).error).toBe('invalid_grant');

    const p2 = pkce();
    const url2 = authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p2.challenge, state: 's' });
    const code2 = new URL(await loginWithFetch(idp, url2, demo)).searchParams.get('code') ?? '';
    expect((await exchangeCode(idp, { code: code2, redirectUri: `${REDIRECT}x`, verifier: p2.verifier })).status).toBe(400);
    // A code that worked once must not work again.
    const p3 = pkce();
    const url3 = authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p3.challenge, state: 's' });
    const code3 = new URL(await loginWithFetch(idp, url3, demo)).searchParams.get('code') ?? '';
    expect((await exchangeCode(idp, { code: code3, redirectUri: REDIRECT, verifier: p3.verifier })).status).toBe(200);
    expect((await exchangeCode(idp, { code: code3, redirectUri: REDIRECT, verifier: p3.verifier })).status).toBe(400);
  });

  test('PKCE is required', async () => {
    const url = new URL(authorizeUrl(idp, { redirectUri: REDIRECT, challenge: 'x', state: 's' }));
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const res = await fetch(url, { redirect: 'manual' });
    const loc = new URL(res.headers.get('location') ?? '');
    expect(loc.searchParams.get('error')).toBe('invalid_request');
  });
});

describe('userinfo', () => {
  test('answers JWT access tokens', async () => {
    const t = await login();
    const res = await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(res.status).toBe(200);
    const u = (await res.json()) as Record<string, unknown>;
    expect(u).toMatchObject({
      sub: DEMO_USER.sub,
      email: DEMO_USER.email,
      email_verified: true,
      preferred_username: DEMO_USER.username,
      given_name: 'Demo',
      family_name: 'User',
      name: 'Demo User',
    });
    expect(u['urn:zitadel:iam:org:project:roles']).toBeDefined();
  });

  test('answers opaque tokens (minted and issued by the login flow)', async () => {
    const minted = await idp.mintOpaqueToken();
    const res = await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${minted}` } });
    expect(res.status).toBe(200);

    const opaqueIdp = await startDevIdp({ redirectUris: [REDIRECT], userAccessTokenFormat: 'opaque' });
    try {
      const p = pkce();
      const cb = new URL(await loginWithFetch(opaqueIdp, authorizeUrl(opaqueIdp, { redirectUri: REDIRECT, challenge: p.challenge, state: 's' }), demo));
      const t = (await (await exchangeCode(opaqueIdp, { code: cb.searchParams.get('code') ?? '', redirectUri: REDIRECT, verifier: p.verifier })).json()) as Record<string, string>;
      expect(String(t.access_token).split('.').length).not.toBe(3);
      const ui = await fetch(`${opaqueIdp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } });
      expect(((await ui.json()) as { sub: string }).sub).toBe(DEMO_USER.sub);
    } finally {
      await opaqueIdp.close();
    }
  });

  test('401 access_denied for garbage and expired tokens', async () => {
    for (const token of ['garbage', await idp.mintAccessToken({ expiresInSec: -10 })]) {
      const res = await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'access_denied', error_description: 'access token invalid' });
    }
  });
});

describe('jwt-bearer grant (service user)', () => {
  test('issues a token with aud [userId] without the audience scope', async () => {
    idp.resetCounts();
    const res = await jwtBearer(await serviceUserAssertion(idp.serviceUserKey, idp.issuer));
    expect(res.status).toBe(200);
    const t = (await res.json()) as Record<string, unknown>;
    expect(t).toMatchObject({ token_type: 'Bearer', scope: 'openid' });
    expect(t.id_token).toBeUndefined();
    const claims = decodeJwt(String(t.access_token));
    expect(decodeProtectedHeader(String(t.access_token)).typ).toBe('JWT');
    expect(claims.aud).toEqual([idp.serviceUserKey.userId]);
    expect(claims.sub).toBe(idp.serviceUserKey.userId);
    expect(claims[`urn:zitadel:iam:org:project:${idp.projectId}:roles`]).toBeUndefined();
    expect(idp.counts['token:urn:ietf:params:oauth:grant-type:jwt-bearer']).toBe(1);
    // Not for our API: introspection says inactive.
    expect(await (await introspect(String(t.access_token))).json()).toEqual({ active: false });
  });

  test('audience scope puts the project in aud and adds per-project roles', async () => {
    const scope = `openid urn:zitadel:iam:org:project:id:${idp.projectId}:aud`;
    const t = (await (await jwtBearer(await serviceUserAssertion(idp.serviceUserKey, idp.issuer), scope)).json()) as Record<string, unknown>;
    expect(t.scope).toBe(scope);
    const claims = decodeJwt(String(t.access_token));
    expect(claims.aud).toContain(idp.projectId);
    expect(claims[`urn:zitadel:iam:org:project:${idp.projectId}:roles`]).toEqual({ m2m: { '300000000000000000': 'zitauth.localhost' } });
    expect(claims['urn:zitadel:iam:org:project:roles']).toBeUndefined();
    const i = (await (await introspect(String(t.access_token))).json()) as Record<string, unknown>;
    expect(i).toMatchObject({ active: true, sub: idp.serviceUserKey.userId, scope });
  });

  test.each([
    ['aud is the token endpoint', { claims: { aud: 'TOKEN' } }],
    ['aud has a trailing slash', { claims: { aud: 'SLASH' } }],
    ['exp is within 1 s', { claims: { exp: Math.floor(Date.now() / 1000) } }],
    ['iat more than 1 h old', { claims: { iat: Math.floor(Date.now() / 1000) - 3700 } }],
    ['iat in the future', { claims: { iat: Math.floor(Date.now() / 1000) + 60 } }],
    ['iss is not the user', { claims: { iss: 'someone' } }],
    ['kid is unknown', { header: { kid: 'other' } }],
  ])('rejects an assertion when %s', async (_name, o: { claims?: Record<string, unknown>; header?: Record<string, unknown> }) => {
    const claims = { ...o.claims };
    if (claims.aud === 'TOKEN') claims.aud = `${idp.issuer}/oauth/v2/token`;
    if (claims.aud === 'SLASH') claims.aud = `${idp.issuer}/`;
    const res = await jwtBearer(await serviceUserAssertion(idp.serviceUserKey, idp.issuer, { claims, header: o.header }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
  });

  test('rejects a scope without openid and a foreign signature', async () => {
    expect((await jwtBearer(await serviceUserAssertion(idp.serviceUserKey, idp.issuer), 'profile')).status).toBe(400);
    const forged = await serviceUserAssertion(idp.serviceUserKey, idp.issuer, { key: idp.apiApp.key.key });
    expect((await jwtBearer(forged)).status).toBe(400);
  });

  test('opaque service-user tokens are introspectable', async () => {
    const opaqueIdp = await startDevIdp({ redirectUris: [REDIRECT], serviceUserAccessTokenFormat: 'opaque' });
    try {
      const scope = `openid urn:zitadel:iam:org:project:id:${opaqueIdp.projectId}:aud`;
      const res = await fetch(
        `${opaqueIdp.issuer}/oauth/v2/token`,
        form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: await serviceUserAssertion(opaqueIdp.serviceUserKey, opaqueIdp.issuer), scope }),
      );
      const t = (await res.json()) as Record<string, string>;
      expect(String(t.access_token).split('.').length).not.toBe(3);
      const i = await fetch(`${opaqueIdp.issuer}/oauth/v2/introspect`, {
        ...form({ token: String(t.access_token) }),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`${opaqueIdp.apiApp.clientId}:${opaqueIdp.apiApp.clientSecret}`)}`,
        },
      });
      expect(await i.json()).toMatchObject({ active: true, sub: opaqueIdp.serviceUserKey.userId });
    } finally {
      await opaqueIdp.close();
    }
  });
});

describe('introspection', () => {
  test('Basic auth: active user token with claims and roles', async () => {
    const t = await login();
    const res = await introspect(String(t.access_token));
    expect(res.status).toBe(200);
    const i = (await res.json()) as Record<string, unknown>;
    expect(i).toMatchObject({
      active: true,
      sub: DEMO_USER.sub,
      client_id: idp.clientId,
      iss: idp.issuer,
      token_type: 'Bearer',
      username: DEMO_USER.username,
      scope: 'openid profile email',
    });
    for (const k of ['exp', 'iat', 'nbf', 'jti', 'aud']) expect(i[k]).toBeDefined();
    expect(i['urn:zitadel:iam:org:project:roles']).toBeDefined();
  });

  test('private_key_jwt auth works; opaque minted tokens too', async () => {
    const token = await idp.mintOpaqueToken({ claims: { extra: 'x' } });
    const res = await introspect(token, await clientAssertion(idp.apiApp.key, idp.issuer));
    expect(await res.json()).toMatchObject({ active: true, sub: DEMO_USER.sub, extra: 'x' });
  });

  test('inactive when the API is not in aud, or the token is bad', async () => {
    for (const token of [
      await idp.mintOpaqueToken({ aud: ['someone-else'] }),
      await idp.mintAccessToken({ claims: { aud: ['someone-else'] } }),
      await idp.mintAccessToken({ expiresInSec: -5 }),
      'garbage',
    ]) {
      expect(await (await introspect(token)).json()).toEqual({ active: false });
    }
  });

  test('401 invalid_client for bad client auth', async () => {
    const token = await idp.mintAccessToken();
    const noAuth = await fetch(`${idp.issuer}/oauth/v2/introspect`, form({ token }));
    expect(noAuth.status).toBe(401);
    expect(((await noAuth.json()) as { error: string }).error).toBe('invalid_client');
    const badSecret = await fetch(`${idp.issuer}/oauth/v2/introspect`, {
      ...form({ token }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa(`${idp.apiApp.clientId}:wrong`)}` },
    });
    expect(badSecret.status).toBe(401);
    const wrongAud = await clientAssertion(idp.apiApp.key, idp.issuer, { claims: { aud: `${idp.issuer}/oauth/v2/introspect` } });
    expect((await introspect(token, wrongAud)).status).toBe(401);
  });
});

describe('signing keys', () => {
  test('rotation: JWKS lists old and new, new tokens use the new kid, removed keys vanish', async () => {
    const oldKid = idp.activeKid();
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/oauth/v2/keys`));
    const before = await idp.mintAccessToken();
    const newKid = await idp.rotateSigningKey();
    expect(newKid).not.toBe(oldKid);
    expect(idp.activeKid()).toBe(newKid);
    const { keys } = (await (await fetch(`${idp.issuer}/oauth/v2/keys`)).json()) as { keys: { kid: string }[] };
    expect(keys.map((k) => k.kid)).toEqual([newKid, oldKid]);

    const t = await login();
    expect(decodeProtectedHeader(String(t.access_token)).kid).toBe(newKid);
    expect(decodeProtectedHeader(String(t.id_token)).kid).toBe(newKid);
    await jwtVerify(String(t.access_token), jwks);
    await jwtVerify(before, jwks);

    idp.removeKey(oldKid);
    const after = (await (await fetch(`${idp.issuer}/oauth/v2/keys`)).json()) as { keys: { kid: string }[] };
    expect(after.keys.map((k) => k.kid)).toEqual([newKid]);
    expect(await (await introspect(before)).json()).toEqual({ active: false });
  });

  test('mintAccessToken honours header and kid overrides', async () => {
    const token = await idp.mintAccessToken({ kid: 'unknown-kid', header: { typ: 'at+jwt' } });
    expect(decodeProtectedHeader(token)).toMatchObject({ kid: 'unknown-kid', typ: 'at+jwt', alg: 'RS256' });
  });
});

describe('end_session', () => {
  test('redirects straight to the registered URI with state, and the session is gone', async () => {
    const jar = new CookieJar();
    const t = await login({ jar });
    // With the session, a new authorize goes straight back to the app (SSO).
    const p = pkce();
    const f = cookieFetch(jar);
    const sso = await f(authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p.challenge, state: 'again' }));
    let loc = new URL(sso.headers.get('location') ?? '', idp.issuer);
    while (loc.origin === new URL(idp.issuer).origin) loc = new URL((await f(loc)).headers.get('location') ?? '', idp.issuer);
    expect(loc.searchParams.get('code')).toBeTruthy();

    const end = new URL(`${idp.issuer}/oidc/v1/end_session`);
    end.search = new URLSearchParams({
      id_token_hint: String(t.id_token),
      client_id: idp.clientId,
      post_logout_redirect_uri: POST_LOGOUT,
      state: 'bye',
    }).toString();
    const res = await f(end);
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(400);
    const to = new URL(res.headers.get('location') ?? '');
    expect(to.origin + to.pathname).toBe(POST_LOGOUT);
    expect(to.searchParams.get('state')).toBe('bye');

    // A new authorize shows the login form again.
    let r = await f(authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p.challenge, state: 'x' }));
    while (r.status >= 300 && r.status < 400) {
      const next = new URL(r.headers.get('location') ?? '', idp.issuer);
      expect(next.origin).toBe(new URL(idp.issuer).origin);
      r = await f(next);
    }
    expect(await r.text()).toContain('name="password"');
  });
});

describe('fault modes', () => {
  test("'refuse' refuses connections, null restores the same port", async () => {
    await idp.setFault('refuse');
    const err = await fetch(`${idp.issuer}/oauth/v2/keys`, { signal: AbortSignal.timeout(2000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).not.toBe('TimeoutError');
    await idp.setFault(null);
    expect((await fetch(`${idp.issuer}/oauth/v2/keys`)).status).toBe(200);
  });

  test("'hang' never answers", async () => {
    await idp.setFault('hang');
    const err = await fetch(`${idp.issuer}/oauth/v2/keys`, { signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    await idp.setFault(null);
    expect((await fetch(`${idp.issuer}/oauth/v2/keys`)).status).toBe(200);
  });
});
