/**
 * Secrets never leak: after the whole login, M2M, validation and a string of failures (all at
 * debug log level, in both configuration modes), neither the captured gateway logs nor any
 * response body the clients saw contains a token, the code, the PKCE verifier, the user's
 * (non-ASCII) password, the service-user or API-app private key, the cookie secret or the M2M
 * API key — also when requests carry hostile values. The browser flows and the M2M flow are
 * scanned in two steps, so one failing does not hide the other.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { bodyOf, fragmentOf, startGatewayLogin, finishGatewayLogin } from '../support/gateway-login.ts';
import { StateCookies } from '../../src/login/state-cookie.ts';
import { asHeader, HOSTILE_CREDS, HOSTILE_USER, HOSTILE_VALUES, ROLE } from '../support/hostile.ts';

const API_KEY = 'leak-test-api-key-0123456789-zyxw';

/** A distinctive slice of a PEM body (the base64 between the armour lines). */
const pemSlice = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('').slice(100, 160);
const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

describe.each(CONFIG_MODES)('secrets (%s endpoints)', (mode) => {
  let stack: Stack;
  /** Every response body and challenge the clients saw. */
  const bodies: string[] = [];
  /** Name → value of everything that must stay secret; JWTs also by their signature alone. */
  const secrets: Record<string, string> = {};
  const keep = async (res: Response) => {
    bodies.push((await bodyOf(res)).text, res.headers.get('www-authenticate') ?? '');
    return res;
  };
  const secret = (name: string, value: string) => {
    secrets[name] = value;
    // Token signatures alone are enough to spot a leaked token in a truncated form.
    if (value.split('.').length === 3) secrets[`${name}_sig`] = value.split('.')[2]!;
  };
  function scan() {
    const logs = stack.logs.join('\n');
    expect(stack.logs.length).toBeGreaterThan(10);
    const all = bodies.join('\n');
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length).toBeGreaterThan(8);
      if (logs.includes(value)) throw new Error(`${name} leaked into the logs`);
      if (all.includes(value)) throw new Error(`${name} leaked into a response body or header`);
    }
  }

  beforeAll(async () => {
    stack = await startStack({ mode, env: { ZITAUTH_M2M_API_KEYS: API_KEY, ZITAUTH_INTROSPECTION_KEY_FILE: '{introKeyFile}' }, idp: { users: [HOSTILE_USER] } });
    secret('user_password', HOSTILE_USER.password);
    secret('user_password_form', new URLSearchParams({ p: HOSTILE_USER.password }).toString().slice(2));
    secret('service_user_pem', pemSlice(stack.idp.serviceUserKey.key));
    secret('api_app_pem', pemSlice(stack.idp.apiApp.key.key));
    secret('cookie_secret', stack.env.ZITAUTH_COOKIE_SECRET!);
    secret('api_key', API_KEY);
  });
  afterAll(() => stack.close());

  test('login, validation, userinfo, hostile requests and an outage: no secret in logs or bodies', async () => {
    // Login; recover the verifier from the (encrypted) state cookie to know what to look for.
    const p = await startGatewayLogin(stack.idp, stack.url, { creds: HOSTILE_CREDS });
    const code = p.callback.searchParams.get('code')!;
    const state = p.callback.searchParams.get('state')!;
    const cookies = new StateCookies(stack.env.ZITAUTH_COOKIE_SECRET!, { ttlSec: 600, secure: false, path: '/api/v1/callback' });
    const { codeVerifier, nonce } = await cookies.open(p.cookie, state);
    const cb = await finishGatewayLogin({ callback: p.callback, cookie: p.cookie });
    expect(cb.status).toBe(302);
    const frag = fragmentOf(cb);
    const accessToken = frag.get('access_token')!;
    const idToken = frag.get('id_token')!;
    // Replays and a code exchange refused by the IdP (fresh cookie, spent code).
    await keep(await finishGatewayLogin({ callback: p.callback, cookie: p.cookie }));
    const again = await startGatewayLogin(stack.idp, stack.url, { creds: HOSTILE_CREDS });
    const spent = new URL(again.callback);
    spent.searchParams.set('code', code);
    expect((await keep(await finishGatewayLogin({ callback: spent, cookie: again.cookie }))).status).toBe(400);

    // Validation, userinfo, failures.
    expect((await keep(await fetch(`${stack.url}/api/v1/validate`, auth(accessToken)))).status).toBe(200);
    expect((await keep(await fetch(`${stack.url}/api/v1/userinfo`, auth(accessToken)))).status).toBe(200);
    const tampered = accessToken.slice(0, -6) + 'AAAAAA';
    await keep(await fetch(`${stack.url}/api/v1/validate`, auth(tampered)));
    await keep(await fetch(`${stack.url}/api/v1/validate`, auth(idToken)));
    await keep(await fetch(`${stack.url}/api/v1/validate`, auth('opaque-unknown-token-abcdefghijklmnopqrstuvwxyz')));
    await keep(await fetch(`${stack.url}/api/v1/userinfo`, auth(tampered)));
    // Hostile requirement values and header values next to a valid token.
    for (const value of HOSTILE_VALUES) {
      await keep(await fetch(`${stack.url}/api/v1/validate?role=${encodeURIComponent(value)}`, auth(accessToken)));
      await keep(await fetch(`${stack.url}/api/v1/forward-auth?aud=${encodeURIComponent(value)}`, auth(accessToken)));
    }
    expect((await keep(await fetch(`${stack.url}/api/v1/forward-auth?role=${encodeURIComponent(ROLE)}`, auth(accessToken)))).status).toBe(200);
    await keep(await fetch(`${stack.url}/api/v1/validate`, { headers: { authorization: asHeader(`Bearer ${accessToken}é`), 'x-request-id': asHeader('🦄') } }));
    // A wrong M2M key (refused before the IdP is asked).
    await keep(await fetch(`${stack.url}/api/v1/m2m-token`, auth(`${API_KEY}-wrong`)));

    // IdP outage while the user's token is checked upstream.
    await stack.idp.setFault('refuse');
    await keep(await fetch(`${stack.url}/api/v1/userinfo`, auth(accessToken)));
    await stack.idp.setFault(null);

    secret('access_token', accessToken);
    secret('id_token', idToken);
    secret('code', code);
    secret('code_verifier', codeVerifier);
    secret('nonce', nonce);
    secret('state', state);
    secret('state_cookie', p.cookie.split('=').slice(1).join('=').slice(0, 60));
    scan();
  });

  test('M2M with the right key, and its token validated: still no secret in logs or bodies', async () => {
    const m2m = await fetch(`${stack.url}/api/v1/m2m-token`, auth(API_KEY));
    expect(m2m.status).toBe(200);
    const m2mToken = ((await m2m.json()) as { access_token: string }).access_token;
    await keep(await fetch(`${stack.url}/api/v1/validate`, auth(m2mToken)));
    secret('m2m_token', m2mToken);
    scan();
  });
});
