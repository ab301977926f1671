/**
 * Logout through the gateway, the way a browser does it with fetch: log in (one cookie jar for
 * gateway and IdP), /api/v1/logout → Zitadel end_session → back at the SPA, session gone. In both
 * configuration modes (with the original `.env`'s explicit URLs the end_session endpoint is
 * discovered on first need); the user is josé@exämple.com, the state non-ASCII and hostile.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, SPA_ORIGIN, startStack, type Stack } from '../support/stack.ts';
import { CookieJar, cookieFetch, redirectTarget } from '../support/cookie-fetch.ts';
import { finishGatewayLogin, fragmentOf, startGatewayLogin } from '../support/gateway-login.ts';
import { expectCleanRefusal, HOSTILE_CREDS, HOSTILE_USER, HOSTILE_VALUES, NAME } from '../support/hostile.ts';

/** A state as an SPA might send it: non-ASCII, quotes, CR/LF. It must come back exactly. */
const STATE = `さようなら ${NAME} "bye" 🦄\r\n&x=1`;

describe.each(CONFIG_MODES)('GET /api/v1/logout (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode, idp: { users: [HOSTILE_USER] } });
  });
  afterAll(() => stack?.close());

  /** Follows redirects with the jar until one leaves the IdP's origin (or a page is shown). */
  async function follow(jar: CookieJar, start: URL): Promise<{ url: URL; res: Response }> {
    const f = cookieFetch(jar);
    let url = start;
    for (let hop = 0; hop < 10; hop++) {
      const res = await f(url);
      const next = redirectTarget(res, url);
      if (!next) return { url, res };
      if (next.origin !== new URL(stack.idp.issuer).origin && next.origin !== stack.url) return { url: next, res };
      url = next;
    }
    throw new Error('too many redirects');
  }

  test('ends the Zitadel session and returns to the SPA; the next login shows the form again', async () => {
    const jar = new CookieJar();
    const pending = await startGatewayLogin(stack.idp, stack.url, { jar, creds: HOSTILE_CREDS });
    const done = await finishGatewayLogin({ callback: pending.callback, jar });
    expect(done.status).toBe(302);
    const idToken = fragmentOf(done).get('id_token')!;
    expect(idToken).toBeTruthy();

    // With the IdP session alive, a second login goes straight through (SSO): no form.
    const sso = await follow(jar, new URL(`${stack.url}/api/v1/login`));
    expect(sso.url.origin).toBe(SPA_ORIGIN);
    expect(new URLSearchParams(sso.url.hash.slice(1)).get('access_token')).toBeTruthy();

    const q = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: `${SPA_ORIGIN}/`, state: STATE });
    const res = await cookieFetch(jar)(`${stack.url}/api/v1/logout?${q}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Percent-encoded: no raw CR/LF, quote or non-ASCII byte in the Location header.
    expect(res.headers.get('location')!).not.toMatch(/[^\x21-\x7e]/);
    const end = new URL(res.headers.get('location')!);
    expect(end.origin + end.pathname).toBe(`${stack.idp.issuer}/oidc/v1/end_session`);
    expect(end.searchParams.get('client_id')).toBe(stack.idp.clientId);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${SPA_ORIGIN}/`);
    expect(end.searchParams.get('state')).toBe(STATE);
    expect(end.searchParams.get('id_token_hint')).toBe(idToken);

    const back = await follow(jar, end);
    expect(back.url.origin).toBe(SPA_ORIGIN);
    expect(back.url.pathname).toBe('/');
    expect(back.url.searchParams.get('state')).toBe(STATE);

    // The session is gone: a new login stops at the IdP's form.
    const again = await follow(jar, new URL(`${stack.url}/api/v1/login`));
    expect(new URL(again.url).origin).toBe(new URL(stack.idp.issuer).origin);
    expect(again.res.status).toBe(200);
    expect(await again.res.text()).toMatch(/name="password"/);
  });

  test('without parameters: the default post-logout URI and a generated state', async () => {
    const res = await fetch(`${stack.url}/api/v1/logout`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const end = new URL(res.headers.get('location')!);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${SPA_ORIGIN}/`);
    expect(end.searchParams.get('client_id')).toBe(stack.idp.clientId);
    expect(end.searchParams.get('state')!.length).toBeGreaterThanOrEqual(16);
  });

  test.each([
    'https://evil.example/',
    `${SPA_ORIGIN}/other`,
    `${SPA_ORIGIN}`,
    `${SPA_ORIGIN}/?x=1`,
    `//evil.example/`,
    'javascript:alert(1)',
    `${SPA_ORIGIN}/\r\nSet-Cookie: x=1`,
    `${SPA_ORIGIN}/${NAME}`,
    'https://évil.example/',
    ` ${SPA_ORIGIN}/`,
    ...HOSTILE_VALUES,
  ])('post_logout_redirect_uri %j (not allow-listed) → 400, not echoed', async (uri) => {
    const res = await fetch(`${stack.url}/api/v1/logout?${new URLSearchParams({ post_logout_redirect_uri: uri, state: STATE })}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const json = await expectCleanRefusal(res, [uri, STATE], uri);
    expect(json.error).toBe('invalid_request');
  });

  test('a state over 512 characters → 400, not echoed', async () => {
    const long = NAME.repeat(129);
    const res = await fetch(`${stack.url}/api/v1/logout?state=${encodeURIComponent(long)}`, { redirect: 'manual' });
    expect((await expectCleanRefusal(res, [long])).error).toBe('invalid_request');
  });
});
