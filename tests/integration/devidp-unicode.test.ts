/**
 * Users whose names, emails, usernames and role keys are not ASCII (or are hostile: quotes, angle
 * brackets, emoji) pass the dev IdP's login form (UTF-8 form posts), its tokens, userinfo and
 * introspection byte for byte.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { decodeJwt } from 'jose';
import { startDevIdp, type DevIdp, type DevIdpUser } from '../../src/devidp/index.ts';
import { CookieJar, cookieFetch } from '../support/cookie-fetch.ts';
import { codeLogin, form, introspect } from '../support/devidp-client.ts';
import { ORG } from '../support/hostile.ts';
import { authorizeUrl, pkce } from '../support/oidc.ts';

const REDIRECT = 'http://127.0.0.1:1/callback';
const USERS: DevIdpUser[] = [
  { sub: '300000000000000101', username: '山田太郎', password: 'パスワード1!', email: 'taro@例え.jp', name: '山田 太郎', givenName: '太郎', familyName: '山田', roles: ['管理者', 'user'] },
  { sub: '300000000000000102', username: 'josé@exämple.com', password: 'pässwörd', email: 'josé@exämple.com', name: 'José Müller-Ñúñez', roles: ['rôle-été'] },
  { sub: '300000000000000103', username: '"quoted" <b>&amp;', password: `p'"<>&`, email: 'o\'brien+🦄@example.com', name: 'Zoë 👩‍💻 "Q" <script>', roles: ['🚀-launch', 'a"b'] },
];
const rolesOf = (u: DevIdpUser) => Object.fromEntries(u.roles.map((r) => [r, ORG]));

let idp: DevIdp;
beforeAll(async () => {
  idp = await startDevIdp({ redirectUris: [REDIRECT], users: USERS, userAccessTokenFormat: 'jwt' });
});
afterAll(() => idp.close());

describe.each(USERS)('user $username', (user) => {
  test('logs in; ID token, access token, userinfo and introspection carry the values intact', async () => {
    const t = await codeLogin(idp, { redirectUri: REDIRECT, creds: { username: user.username, password: user.password } });

    const id = decodeJwt(String(t.id_token));
    expect(id).toMatchObject({ sub: user.sub, name: user.name, preferred_username: user.username, email: user.email });
    expect(id['urn:zitadel:iam:org:project:roles']).toEqual(rolesOf(user));
    expect(decodeJwt(String(t.access_token))[`urn:zitadel:iam:org:project:${idp.projectId}:roles`]).toEqual(rolesOf(user));

    const ui = await fetch(`${idp.issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(ui.headers.get('content-type')).toContain('application/json');
    const u = (await ui.json()) as Record<string, unknown>;
    expect(u).toMatchObject({ sub: user.sub, name: user.name, preferred_username: user.username, email: user.email });
    if (user.givenName) expect(u).toMatchObject({ given_name: user.givenName, family_name: user.familyName });
    expect(u['urn:zitadel:iam:org:project:roles']).toEqual(rolesOf(user));

    const i = (await (await introspect(idp, String(t.access_token))).json()) as Record<string, unknown>;
    expect(i).toMatchObject({ active: true, sub: user.sub, username: user.username, name: user.name, email: user.email });
    expect(i['urn:zitadel:iam:org:project:roles']).toEqual(rolesOf(user));
  });

  test('a wrong password shows the username back, escaped', async () => {
    const jar = new CookieJar();
    const f = cookieFetch(jar);
    const p = pkce();
    let res = await f(authorizeUrl(idp, { redirectUri: REDIRECT, challenge: p.challenge, state: 's' }));
    while (res.status >= 300 && res.status < 400) res = await f(new URL(res.headers.get('location') ?? '', idp.issuer));
    const action = (await res.text()).match(/action="([^"]+)"/)?.[1] ?? '';
    const again = await f(new URL(action, idp.issuer), form({ username: user.username, password: `${user.password}x` }));
    const html = await again.text();
    expect(again.headers.get('content-type')).toContain('charset=utf-8');
    expect(html).toContain('incorrect');
    expect(html).not.toContain('<script>');
    const escaped = user.username.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    expect(html).toContain(`value="${escaped}"`);
  });
});
