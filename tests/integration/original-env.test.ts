/**
 * Drop-in check: a gateway configured with the original ZitAuth's .env only — its variable names
 * (no ZITAUTH_* at all) and its four explicit endpoint URLs — runs all five endpoints end to end
 * against the Zitadel-shaped IdP. The same variable names without the URLs (discovery) run as a
 * second variant. The user signing in is 山田太郎 <josé@exämple.com>.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, explicitEndpoints, startStack, type ConfigMode, type Stack } from '../support/stack.ts';
import { bearerGet, loginThroughGateway } from '../support/gateway-login.ts';
import { asHeader, EMAIL, expectCleanRefusal, HOSTILE_CLAIMS, HOSTILE_CREDS, HOSTILE_USER, NAME, ROLE } from '../support/hostile.ts';

const ZITAUTH_VARS = ['ZITAUTH_HOST', 'ZITAUTH_PROJECT_ID', 'ZITAUTH_COOKIE_SECRET', 'ZITAUTH_HTTP_TIMEOUT_MS', 'ZITAUTH_LOG_LEVEL'];
const DISCOVERY = '/.well-known/openid-configuration';
/** The original ZitAuth's .env, as a new user brings it: its names and its four endpoint URLs. */
const ORIGINAL: ConfigMode = 'explicit';

describe.each([
  [ORIGINAL, 'original ZitAuth .env only (its four explicit endpoint URLs)'],
  ['discovery', 'original ZitAuth .env names, endpoints from discovery'],
] as const)('%s: %s', (mode, _what) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode, env: Object.fromEntries(ZITAUTH_VARS.map((k) => [k, undefined])), idp: { users: [HOSTILE_USER] } });
    expect(Object.keys(stack.env).filter((k) => k.startsWith('ZITAUTH_'))).toEqual([]);
    const urls = explicitEndpoints(stack.idp.issuer);
    for (const [k, v] of Object.entries(urls)) expect(`${k}=${stack.env[k]}`).toBe(mode === ORIGINAL ? `${k}=${v}` : `${k}=undefined`);
    stack.idp.resetCounts();
  });
  afterAll(() => stack.close());

  test('login → callback → validate → userinfo, the non-ASCII profile intact', async () => {
    stack.idp.resetCounts();
    const t = await loginThroughGateway(stack.idp, stack.url, HOSTILE_CREDS);
    expect(t.location.startsWith(`${stack.env.SPA_ORIGIN}/#`)).toBe(true);
    const v = await bearerGet(`${stack.url}/api/v1/validate?role=${encodeURIComponent(ROLE)}`, t.access_token);
    expect(v.status).toBe(200);
    expect(((await v.json()) as { sub: string }).sub).toBe(HOSTILE_USER.sub);
    const u = await bearerGet(`${stack.url}/api/v1/userinfo`, t.access_token);
    expect(u.status).toBe(200);
    const { userinfo } = (await u.json()) as { userinfo: { email: string; name: string } };
    expect([userinfo.email, userinfo.name]).toEqual([EMAIL, NAME]);
    // The original .env's URLs cover all of it: no discovery request (logout may discover lazily).
    if (mode === ORIGINAL) expect(stack.idp.counts[DISCOVERY]).toBeUndefined();
  });

  test('m2m-token (loopback) → the token validates: the own service user is an accepted audience', async () => {
    const m = await fetch(`${stack.url}/api/v1/m2m-token`);
    expect(m.status).toBe(200);
    const { access_token } = (await m.json()) as { access_token: string };
    const v = await bearerGet(`${stack.url}/api/v1/validate`, access_token);
    expect(v.status).toBe(200);
    expect(((await v.json()) as { sub: string }).sub).toBe(stack.idp.serviceUserKey.userId);
  });

  test('logout redirects to the end_session endpoint with a non-ASCII state intact', async () => {
    const state = `${NAME} "bye" 🦄`;
    const res = await fetch(`${stack.url}/api/v1/logout?state=${encodeURIComponent(state)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(`${loc.origin}${loc.pathname}`).toBe(`${stack.idp.issuer}/oidc/v1/end_session`);
    expect(loc.searchParams.get('state')).toBe(state);
  });

  test('a token for a foreign audience is still refused, the audience not echoed', async () => {
    const aud = `some-other-app-${NAME}`;
    const token = await stack.idp.mintAccessToken({ claims: { ...HOSTILE_CLAIMS, aud: [aud] } });
    const v = await bearerGet(`${stack.url}/api/v1/validate`, token);
    expect(v.status).toBe(401);
    expect((await expectCleanRefusal(v, [aud, NAME])).error_description).toBe('audience mismatch');
  });

  test('the log says how to pin the audience', () => {
    expect(stack.logs.some((l) => l.includes('ZITAUTH_PROJECT_ID is not set'))).toBe(true);
  });
});

describe.each(CONFIG_MODES)('m2m-token through a same-host reverse proxy without API keys (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode });
  });
  afterAll(() => stack.close());

  test('a request carrying X-Forwarded-For (any value) gets 403, a direct loopback request 200', async () => {
    const forwarded: [string, string][] = [
      ['x-forwarded-for', '203.0.113.7'],
      ['x-forwarded-for', asHeader(`127.0.0.1, ${NAME}`)],
      ['x-real-ip', '127.0.0.1'],
      ['forwarded', 'for="[::1]";proto=https'],
    ];
    for (const [header, value] of forwarded) {
      const proxied = await fetch(`${stack.url}/api/v1/m2m-token`, { headers: { [header]: value } });
      expect(`${header}: ${value} → ${proxied.status}`).toBe(`${header}: ${value} → 403`);
      expect((await expectCleanRefusal(proxied, [NAME])).error_description).toContain('ZITAUTH_M2M_API_KEYS');
    }
    expect((await fetch(`${stack.url}/api/v1/m2m-token`)).status).toBe(200);
  });
});
