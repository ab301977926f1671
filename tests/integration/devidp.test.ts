/**
 * The dev IdP, driven with plain fetch the way the gateway (and a browser) would talk to Zitadel.
 * What Zitadel does is cited in the dev IdP's modules; these tests hold it to that.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { startDevIdp, DEMO_USER, type DevIdp } from '../../src/devidp/index.ts';
import { clientAssertion } from '../support/assertion.ts';
import { CookieJar, cookieFetch } from '../support/cookie-fetch.ts';
import { basic, codeLogin, endSessionUrl, form, introspect } from '../support/devidp-client.ts';
import { loginWithFetch, LoginRejected } from '../support/login.ts';
import { authorizeUrl, exchangeCode, pkce } from '../support/oidc.ts';

const REDIRECT = 'http://127.0.0.1:1/callback';
const POST_LOGOUT = 'http://127.0.0.1:1/signed-out';
const demo = { username: DEMO_USER.username, password: DEMO_USER.password };
const ROLES = { admin: { '300000000000000000': 'zitauth.localhost' } };

let idp: DevIdp;

beforeAll(async () => {
  idp = await startDevIdp({ redirectUris: [REDIRECT], postLogoutRedirectUris: [POST_LOGOUT] });
});
afterAll(() => idp.close());

const login = (o: { scope?: string; jar?: CookieJar } = {}) => codeLogin(idp, { redirectUri: REDIRECT, creds: demo, ...o });
const jwks = () => createRemoteJWKSet(new URL(`${idp.issuer}/oauth/v2/keys`));

describe('discovery and keys', () => {
  test('discovery lists Zitadel paths, S256 only, back-channel logout, and no RFC 9207 iss', async () => {
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
    expect(d.backchannel_logout_supported).toBe(true);
    expect(d.backchannel_logout_session_supported).toBe(true);
    expect(d.authorization_response_iss_parameter_supported).toBeUndefined();
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
  test('answers like Zitadel: no scope member, Zitadel-shaped JWT access token and ID token', async () => {
    idp.resetCounts();
    const t = await login();
    expect(Object.keys(t).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'token_type']);
    expect(t.token_type).toBe('Bearer');
    expect(typeof t.expires_in).toBe('number');
    expect(idp.counts['/oauth/v2/token']).toBe(1);
    expect(idp.counts['token:authorization_code']).toBe(1);

    const { payload, protectedHeader } = await jwtVerify(String(t.access_token), jwks(), { issuer: idp.issuer, typ: 'JWT' });
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.kid).toBe(idp.activeKid());
    expect(payload.sub).toBe(DEMO_USER.sub);
    expect(payload.aud).toEqual([idp.clientId, idp.apiApp.clientId, idp.projectId]);
    expect(payload.client_id).toBe(idp.clientId);
    expect(payload.scope).toBeUndefined();
    expect(payload.email).toBeUndefined(); // profile claims are not in Zitadel's access tokens
    expect(typeof payload.nbf).toBe('number');
    expect(typeof payload.jti).toBe('string');
    expect(payload['urn:zitadel:iam:org:project:roles']).toEqual(ROLES);
    expect(payload[`urn:zitadel:iam:org:project:${idp.projectId}:roles`]).toEqual(ROLES);

    const id = await jwtVerify(String(t.id_token), jwks(), { issuer: idp.issuer, audience: idp.clientId, typ: 'JWT' });
    expect(id.payload.aud).toEqual([idp.clientId, idp.apiApp.clientId, idp.projectId]);
    expect(id.payload.azp).toBe(idp.clientId);
    expect(id.payload.client_id).toBe(idp.clientId);
    expect(id.payload.nonce).toBe('n-1');
    expect(id.payload.email).toBe(DEMO_USER.email);
    expect(id.payload.preferred_username).toBe(DEMO_USER.username);
    expect(id.payload.amr).toEqual(['pwd']);
    expect(typeof id.payload.sid).toBe('string');
    expect(typeof id.payload.auth_time).toBe('number');
    expect(id.payload.at_hash).toBe(new Bun.CryptoHasher('sha256').update(String(t.access_token)).digest().subarray(0, 16).toString('base64url'));
    expect(id.payload['urn:zitadel:iam:org:project:roles']).toEqual(ROLES);
  });

  test('the redirect back carries code and state but no iss', async () => {
    const p = pkce();
    const cb = new URL(await loginWithFetch(idp, authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p.challenge, state: 'é "x"' }), demo));
    expect([...cb.searchParams.keys()].sort()).toEqual(['code', 'state']);
    expect(cb.searchParams.get('state')).toBe('é "x"');
  });

  test('offline_access adds a refresh token; unknown scopes are dropped silently', async () => {
    const t = await login({ scope: 'openid offline_access made:up urn:zitadel:iam:made:up urn:zitadel:iam:org:projects:roles' });
    expect(typeof t.refresh_token).toBe('string');
    expect(t.scope).toBeUndefined();
    const i = (await (await introspect(idp, String(t.access_token))).json()) as { scope: string };
    expect(i.scope.split(' ').sort()).toEqual(['offline_access', 'openid', 'urn:zitadel:iam:org:projects:roles']);
  });

  test('without profile and email scopes the ID token carries no profile', async () => {
    const t = await login({ scope: 'openid' });
    const id = decodeJwt(String(t.id_token));
    expect(id.sub).toBe(DEMO_USER.sub);
    expect(id.email).toBeUndefined();
    expect(id.name).toBeUndefined();
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

  test('an unknown client at the token endpoint is 400 invalid_client, not 401', async () => {
    const p = pkce();
    const code = new URL(await loginWithFetch(idp, authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p.challenge, state: 's' }), demo)).searchParams.get('code') ?? '';
    const res = await fetch(`${idp.issuer}/oauth/v2/token`, form({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'no-such-client', code_verifier: p.verifier }));
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
  });

  test('token endpoint: missing and unsupported grant types are 400', async () => {
    const none = await fetch(`${idp.issuer}/oauth/v2/token`, form({ code: 'x' }));
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: string }).error).toBe('invalid_request');
    const cc = await fetch(`${idp.issuer}/oauth/v2/token`, form({ grant_type: 'client_credentials\r\n<x>' }));
    expect(cc.status).toBe(400);
    const body = await cc.text();
    expect(JSON.parse(body).error).toBe('unsupported_grant_type');
    expect(body).not.toContain('<x>');
  });
});

describe('userinfo', () => {
  test('answers JWT access tokens with the claims of the token scopes', async () => {
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
    expect(u['urn:zitadel:iam:org:project:roles']).toEqual(ROLES);

    const narrow = await login({ scope: 'openid' });
    const n = (await (await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${narrow.access_token}` } })).json()) as Record<string, unknown>;
    expect(n.sub).toBe(DEMO_USER.sub);
    expect(n.email).toBeUndefined();
    expect(n['urn:zitadel:iam:org:project:roles']).toEqual(ROLES); // the project asserts roles
  });

  test('answers opaque tokens (minted and issued by the login flow)', async () => {
    const minted = await idp.mintOpaqueToken();
    const res = await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${minted}` } });
    expect(res.status).toBe(200);

    const opaqueIdp = await startDevIdp({ redirectUris: [REDIRECT], userAccessTokenFormat: 'opaque' });
    try {
      const t = await codeLogin(opaqueIdp, { redirectUri: REDIRECT, creds: demo });
      expect(String(t.access_token).split('.').length).not.toBe(3);
      const ui = await fetch(`${opaqueIdp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } });
      expect(((await ui.json()) as { sub: string }).sub).toBe(DEMO_USER.sub);
    } finally {
      await opaqueIdp.close();
    }
  });

  test('401 access_denied for garbage and expired tokens, 401 invalid_request without one', async () => {
    for (const token of ['garbage', await idp.mintAccessToken({ expiresInSec: -10 })]) {
      const res = await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'access_denied', error_description: 'access token invalid' });
    }
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'bearer lower-case-scheme' }] as Record<string, string>[]) {
      const res = await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'access token missing' });
    }
  });

  test("401 'no active user' for a valid token of an unknown user", async () => {
    const token = await idp.mintAccessToken({ claims: { sub: '399999999999999999' } });
    const res = await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'access_denied', error_description: 'no active user' });
  });
});

describe('introspection', () => {
  test('Basic auth: active user token with claims and both role claims', async () => {
    const t = await login();
    const res = await introspect(idp, String(t.access_token));
    expect(res.status).toBe(200);
    const i = (await res.json()) as Record<string, unknown>;
    expect(i).toMatchObject({
      active: true,
      sub: DEMO_USER.sub,
      client_id: idp.clientId,
      iss: idp.issuer,
      token_type: 'Bearer',
      username: DEMO_USER.username,
      email: DEMO_USER.email,
      scope: 'openid profile email',
    });
    for (const k of ['exp', 'iat', 'nbf', 'jti', 'aud']) expect(i[k]).toBeDefined();
    expect(i['urn:zitadel:iam:org:project:roles']).toEqual(ROLES);
    expect(i[`urn:zitadel:iam:org:project:${idp.projectId}:roles`]).toEqual(ROLES);
  });

  test('private_key_jwt auth works; opaque minted tokens too', async () => {
    const token = await idp.mintOpaqueToken({ claims: { extra: 'x' } });
    const res = await fetch(
      `${idp.issuer}/oauth/v2/introspect`,
      form({ token, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(idp.apiApp.key, idp.issuer) }),
    );
    expect(await res.json()).toMatchObject({ active: true, sub: DEMO_USER.sub, extra: 'x' });
  });

  test('inactive when the API is not in aud, or the token is bad', async () => {
    for (const token of [
      await idp.mintOpaqueToken({ aud: ['someone-else'] }),
      await idp.mintAccessToken({ claims: { aud: ['someone-else'] } }),
      await idp.mintAccessToken({ expiresInSec: -5 }),
      'garbage',
    ]) {
      expect(await (await introspect(idp, token)).json()).toEqual({ active: false });
    }
  });

  test('client-auth failures are 400 as at Zitadel: invalid_request, invalid_client, unauthorized_client', async () => {
    const token = await idp.mintAccessToken();
    const url = `${idp.issuer}/oauth/v2/introspect`;
    const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    const cases: [string, RequestInit, string][] = [
      ['no credentials', form({ token }), 'invalid_request'],
      ['client id without secret', form({ token, client_id: idp.apiApp.clientId }), 'invalid_client'],
      ['undecodable Basic header', form({ token }, { authorization: `Basic ${btoa('%zz:%zz')}` }), 'invalid_client'],
      ['wrong secret', form({ token }, { authorization: basic(idp.apiApp.clientId, 'wrong "secret"\r\n') }), 'unauthorized_client'],
      ['unknown client', form({ token }, { authorization: basic('山田太郎@zitauth', idp.apiApp.clientSecret) }), 'unauthorized_client'],
      ['assertion for the introspection URL', form({ token, client_assertion_type: assertionType, client_assertion: await clientAssertion(idp.apiApp.key, idp.issuer, { claims: { aud: url } }) }), 'unauthorized_client'],
      ['assertion signed by another key', form({ token, client_assertion_type: assertionType, client_assertion: await clientAssertion(idp.apiApp.key, idp.issuer, { key: idp.serviceUserKey.key }) }), 'unauthorized_client'],
      ['assertion of the wrong type', form({ token, client_assertion_type: 'urn:x', client_assertion: await clientAssertion(idp.apiApp.key, idp.issuer) }), 'invalid_request'],
    ];
    for (const [name, init, error] of cases) {
      const res = await fetch(url, init);
      expect(res.status, name).toBe(400);
      expect(((await res.json()) as { error: string }).error, name).toBe(error);
    }
  });

  test('an assertion that is not a JWT ends as inactive, not as an error (Zitadel swallows invalid_client)', async () => {
    const res = await fetch(
      `${idp.issuer}/oauth/v2/introspect`,
      form({ token: await idp.mintAccessToken(), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'not-a-jwt' }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ active: false });
  });

  test('a missing token is 400 invalid_request', async () => {
    const res = await fetch(`${idp.issuer}/oauth/v2/introspect`, form({}, { authorization: basic(idp.apiApp.clientId, idp.apiApp.clientSecret) }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });
});

describe('signing keys', () => {
  test('rotation: JWKS lists old and new, new tokens (access and ID) use the new kid at once, removed keys vanish', async () => {
    const oldKid = idp.activeKid();
    const before = await idp.mintAccessToken();
    const beforeLogin = await login();
    const newKid = await idp.rotateSigningKey();
    expect(newKid).not.toBe(oldKid);
    expect(idp.activeKid()).toBe(newKid);
    const { keys } = (await (await fetch(`${idp.issuer}/oauth/v2/keys`)).json()) as { keys: { kid: string }[] };
    expect(keys.map((k) => k.kid)).toEqual([newKid, oldKid]);

    const t = await login();
    expect(decodeProtectedHeader(String(t.access_token)).kid).toBe(newKid);
    expect(decodeProtectedHeader(String(t.id_token)).kid).toBe(newKid);
    expect(decodeProtectedHeader(await idp.mintAccessToken()).kid).toBe(newKid);
    await jwtVerify(String(t.access_token), jwks());
    await jwtVerify(before, jwks());
    await jwtVerify(String(beforeLogin.access_token), jwks());

    idp.removeKey(oldKid);
    const after = (await (await fetch(`${idp.issuer}/oauth/v2/keys`)).json()) as { keys: { kid: string }[] };
    expect(after.keys.map((k) => k.kid)).toEqual([newKid]);
    expect(await (await introspect(idp, before)).json()).toEqual({ active: false });
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

    const res = await f(endSessionUrl(idp, { id_token_hint: String(t.id_token), client_id: idp.clientId, post_logout_redirect_uri: POST_LOGOUT, state: 'bye' }));
    expect(res.status).toBe(302);
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

  test('an expired id_token_hint is accepted; its azp stands in for client_id', async () => {
    const t = await login();
    const claims = decodeJwt(String(t.id_token));
    const { aud: _a, iat: _i, exp: _e, ...rest } = claims;
    const expired = await idp.mintAccessToken({ claims: { ...rest, aud: claims.aud, iat: 1_000_000, exp: 1_000_100 } });
    const res = await fetch(endSessionUrl(idp, { id_token_hint: expired, post_logout_redirect_uri: POST_LOGOUT }), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(POST_LOGOUT);
  });

  test('Zitadel refusals: bad hint, client_id ≠ azp, unknown client, unregistered URI — JSON 400 invalid_request', async () => {
    const t = await login();
    const hint = String(t.id_token);
    const cases: [string, Record<string, string>][] = [
      ['garbage hint', { id_token_hint: 'garbage' }],
      ['hint from another issuer', { id_token_hint: await idp.mintAccessToken({ claims: { iss: 'https://evil.example' } }) }],
      ['client_id differs from azp', { id_token_hint: hint, client_id: 'other-client' }],
      ['unknown client', { client_id: 'no-such-app "<x>"' }],
      ['unregistered post_logout_redirect_uri', { client_id: idp.clientId, post_logout_redirect_uri: 'https://evil.example/\r\nx' }],
      ['unregistered URI with a hint', { id_token_hint: hint, post_logout_redirect_uri: `${POST_LOGOUT}/other` }],
    ];
    for (const [name, params] of cases) {
      const res = await fetch(endSessionUrl(idp, params), { redirect: 'manual' });
      expect(res.status, name).toBe(400);
      const body = await res.text();
      expect(JSON.parse(body).error, name).toBe('invalid_request');
      expect(body, name).not.toContain('<x>');
      expect(body, name).not.toContain('evil');
    }
  });

  test('without hint and client_id the URI is ignored: Zitadel\'s own logged-out page', async () => {
    const res = await fetch(endSessionUrl(idp, { post_logout_redirect_uri: 'https://evil.example/', state: 's' }), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location') ?? '');
    expect(to.origin).toBe(idp.issuer);
    expect(to.pathname).toBe('/ui/login/logout/done');
    expect(to.searchParams.get('state')).toBe('s');
    const page = await fetch(to);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Signed out');
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
