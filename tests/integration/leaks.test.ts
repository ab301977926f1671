/**
 * Secrets never leak: after the whole login, M2M, validation and a string of failures (all at
 * debug log level), neither the captured gateway logs nor any response body the clients saw
 * contains a token, the code, the PKCE verifier, the service-user or API-app private key, the
 * cookie secret or the M2M API key.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { startStack, type Stack } from '../support/stack.ts';
import { bodyOf, fragmentOf, startGatewayLogin, finishGatewayLogin } from '../support/gateway-login.ts';
import { StateCookies } from '../../src/login/state-cookie.ts';

const API_KEY = 'leak-test-api-key-0123456789-zyxw';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { ZITAUTH_M2M_API_KEYS: API_KEY, ZITAUTH_INTROSPECTION_KEY_FILE: '{introKeyFile}' } });
});
afterAll(() => stack.close());

/** A distinctive slice of a PEM body (the base64 between the armour lines). */
const pemSlice = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('').slice(100, 160);

test('no secret in logs or in any response body', async () => {
  const bodies: string[] = [];
  const keep = async (res: Response) => {
    bodies.push((await bodyOf(res)).text, res.headers.get('www-authenticate') ?? '');
    return res;
  };

  // Login; recover the verifier from the (encrypted) state cookie to know what to look for.
  const p = await startGatewayLogin(stack.idp, stack.url);
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
  const again = await startGatewayLogin(stack.idp, stack.url);
  const spent = new URL(again.callback);
  spent.searchParams.set('code', code);
  expect((await keep(await finishGatewayLogin({ callback: spent, cookie: again.cookie }))).status).toBe(400);

  // Validation, userinfo, failures.
  const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
  expect((await keep(await fetch(`${stack.url}/api/v1/validate`, auth(accessToken)))).status).toBe(200);
  expect((await keep(await fetch(`${stack.url}/api/v1/userinfo`, auth(accessToken)))).status).toBe(200);
  const tampered = accessToken.slice(0, -6) + 'AAAAAA';
  await keep(await fetch(`${stack.url}/api/v1/validate`, auth(tampered)));
  await keep(await fetch(`${stack.url}/api/v1/validate`, auth(idToken)));
  await keep(await fetch(`${stack.url}/api/v1/validate`, auth('opaque-unknown-token-abcdefghijklmnopqrstuvwxyz')));
  await keep(await fetch(`${stack.url}/api/v1/userinfo`, auth(tampered)));

  // M2M with the right and a wrong key.
  const m2m = await fetch(`${stack.url}/api/v1/m2m-token`, auth(API_KEY));
  expect(m2m.status).toBe(200);
  const m2mToken = ((await m2m.json()) as { access_token: string }).access_token;
  await keep(await fetch(`${stack.url}/api/v1/m2m-token`, auth(`${API_KEY}-wrong`)));
  await keep(await fetch(`${stack.url}/api/v1/validate`, auth(m2mToken)));

  // IdP outage while the user's token is checked upstream.
  await stack.idp.setFault('refuse');
  await keep(await fetch(`${stack.url}/api/v1/userinfo`, auth(accessToken)));
  await stack.idp.setFault(null);

  const secrets: Record<string, string> = {
    access_token: accessToken,
    id_token: idToken,
    m2m_token: m2mToken,
    code,
    code_verifier: codeVerifier,
    nonce,
    state,
    service_user_pem: pemSlice(stack.idp.serviceUserKey.key),
    api_app_pem: pemSlice(stack.idp.apiApp.key.key),
    cookie_secret: stack.env.ZITAUTH_COOKIE_SECRET!,
    api_key: API_KEY,
    state_cookie: p.cookie.split('=').slice(1).join('=').slice(0, 60),
  };
  // Token signatures alone are enough to spot a leaked token in a truncated form.
  for (const k of ['access_token', 'id_token', 'm2m_token']) secrets[`${k}_sig`] = secrets[k]!.split('.')[2]!;

  const logs = stack.logs.join('\n');
  expect(stack.logs.length).toBeGreaterThan(10);
  const all = bodies.join('\n');
  for (const [name, value] of Object.entries(secrets)) {
    expect(value.length).toBeGreaterThan(8);
    if (logs.includes(value)) throw new Error(`${name} leaked into the logs`);
    if (all.includes(value)) throw new Error(`${name} leaked into a response body or header`);
  }
});
