/**
 * Each configuration section on its own: `(env, problems)` in, a typed part out, every problem
 * naming its variable. Values are hostile on purpose (non-ASCII, CR/LF, odd separators).
 */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDefaults, type Problems } from '../../src/config/read.ts';
import { serverSection } from '../../src/config/sections/server.ts';
import { identitySection } from '../../src/config/sections/identity.ts';
import { endpointsSection } from '../../src/config/sections/endpoints.ts';
import { browserSection } from '../../src/config/sections/browser.ts';
import { secretsSection } from '../../src/config/sections/secrets.ts';
import { tokensSection } from '../../src/config/sections/tokens.ts';
import { cacheSection } from '../../src/config/sections/cache.ts';
import { introspectionSection } from '../../src/config/sections/introspection.ts';
import { defaultM2mScopes, m2mSection } from '../../src/config/sections/m2m.ts';
import { forwardAuthSection } from '../../src/config/sections/forward-auth.ts';
import { observabilitySection } from '../../src/config/sections/observability.ts';
import { EnvSchema } from '../../src/config/schema.ts';

const IDENTITY = { issuer: 'https://idp.example', clientId: '2792@zitauth', redirectUri: 'https://gw.example/api/v1/callback', spaOrigin: 'https://app.example' };

/** Runs a section on `raw` (defaults applied) and returns its part plus the problems. */
function run<T>(section: (env: ReturnType<typeof withDefaults>, problems: Problems) => T, raw: Record<string, string>) {
  const problems: Problems = [];
  return { part: section(withDefaults(raw), problems), problems };
}

describe('schema', () => {
  test('every default is stated in the schema only, and every variable is documented', () => {
    for (const [name, prop] of Object.entries(EnvSchema.properties)) {
      expect(typeof (prop as { description?: string }).description, name).toBe('string');
    }
    expect(withDefaults({}).PORT).toBe('8000');
    expect(withDefaults({ PORT: '  ' }).PORT).toBe('8000'); // blank = unset
  });
});

describe('server', () => {
  test('defaults, and a bad port named', () => {
    expect(run(serverSection, {}).part).toEqual({ port: 8000, host: '0.0.0.0' });
    const r = run(serverSection, { PORT: '８０８０' }); // full-width digits are not digits
    expect(r.problems).toEqual(['PORT must be an integer between 0 and 65535, got "８０８０"']);
  });
});

describe('identity', () => {
  test('the issuer loses its trailing slashes; the SPA origin must be an origin', () => {
    const r = run(identitySection, { ZITADEL_DOMAIN: 'https://idp.example//', ZITADEL_CLIENT_ID: '管理@zitauth', ZITADEL_REDIRECT_URL: 'https://gw.example/cb', SPA_ORIGIN: 'https://app.example/' });
    expect(r.problems).toEqual([]);
    expect(r.part).toEqual({ issuer: 'https://idp.example', clientId: '管理@zitauth', redirectUri: 'https://gw.example/cb', spaOrigin: 'https://app.example' });
    const bad = run(identitySection, { ZITADEL_DOMAIN: 'javascript:alert(1)', ZITADEL_CLIENT_ID: 'x', ZITADEL_REDIRECT_URL: 'https://gw.example/cb', SPA_ORIGIN: 'https://app.example/path?q=1' });
    expect(bad.problems.map((p) => p.split(' ')[0])).toEqual(['ZITADEL_DOMAIN', 'SPA_ORIGIN']);
  });
});

describe('endpoints', () => {
  test('only what is set; bad URLs named; the timeout bounded', () => {
    const r = run(endpointsSection, { ZITADEL_TOKEN_ENDPOINT: 'https://idp.example/oauth/v2/token', ZITAUTH_END_SESSION_ENDPOINT: 'https://idp.example/oidc/v1/end_session' });
    expect(r.part).toEqual({ endpoints: { token: 'https://idp.example/oauth/v2/token', endSession: 'https://idp.example/oidc/v1/end_session' }, httpTimeoutMs: 5000 });
    const bad = run(endpointsSection, { ZITADEL_JWKS_URI: 'keys\r\nX-Evil: 1', ZITAUTH_HTTP_TIMEOUT_MS: '99' });
    expect(bad.problems.map((p) => p.split(' ')[0])).toEqual(['ZITADEL_JWKS_URI', 'ZITAUTH_HTTP_TIMEOUT_MS']);
    expect(bad.part.endpoints).toEqual({});
  });
});

describe('browser', () => {
  test('SPA origin always allowed; lists deduplicated; the login needs openid', () => {
    const problems: Problems = [];
    const part = browserSection(withDefaults({ ZITAUTH_CORS_ORIGINS: 'https://app.example, https://ü.example', ZITAUTH_POST_LOGOUT_REDIRECT_URIS: 'https://app.example/bye' }), problems, IDENTITY);
    expect(problems).toEqual([]);
    expect(part.corsOrigins).toEqual(['https://app.example', 'https://xn--tda.example']);
    expect(part.returnToOrigins).toEqual(['https://app.example']);
    expect(part.postLogoutRedirectUris).toEqual(['https://app.example/bye']);
    expect(part.loginScopes).toBe('openid email profile');
    const p2: Problems = [];
    browserSection(withDefaults({ ZITAUTH_SCOPES: 'email profile', ZITAUTH_SERVE_SPA: 'vielleicht' }), p2, IDENTITY);
    expect(p2.map((p) => p.split(' ')[0])).toEqual(['ZITAUTH_SCOPES', 'ZITAUTH_SERVE_SPA']);
  });
});

describe('secrets', () => {
  test('a short secret is named but never echoed; none → generated for this process', () => {
    const r = run(secretsSection, { ZITAUTH_COOKIE_SECRET: 'kurz-🔑' });
    expect(r.problems.join()).toContain('ZITAUTH_COOKIE_SECRET');
    expect(r.problems.join()).not.toContain('kurz');
    const g = run(secretsSection, {});
    expect(g.part.cookieSecretGenerated).toBe(true);
    expect(g.part.cookieSecret.length).toBeGreaterThanOrEqual(32);
  });

  test('from a file (trimmed), not both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zitauth-sec-'));
    writeFileSync(join(dir, 's'), '  ünïcödé-secret-0123456789-0123456789\n');
    expect(run(secretsSection, { ZITAUTH_COOKIE_SECRET_FILE: join(dir, 's') }).part.cookieSecret).toBe('ünïcödé-secret-0123456789-0123456789');
    const both = run(secretsSection, { ZITAUTH_COOKIE_SECRET_FILE: join(dir, 's'), ZITAUTH_COOKIE_SECRET: 'x'.repeat(40) });
    expect(both.problems[0]).toBe('set only one of ZITAUTH_COOKIE_SECRET and ZITAUTH_COOKIE_SECRET_FILE');
  });
});

describe('tokens', () => {
  test('audience defaults to the project, else the client id; HS*/none refused; JWKS intervals', () => {
    const problems: Problems = [];
    const t = tokensSection(withDefaults({}), problems, IDENTITY);
    expect(t).toEqual({ projectId: undefined, audience: ['2792@zitauth'], audienceDefaulted: true, algorithms: ['RS256'], clockToleranceSec: 5, jwksMinRefreshIntervalMs: 1000, jwksMaxAgeSec: 300 });
    const withProject = tokensSection(withDefaults({ ZITAUTH_PROJECT_ID: '3000', ZITAUTH_ALLOWED_ALGS: 'RS256 ES256' }), problems, IDENTITY);
    expect(withProject.audience).toEqual(['3000']);
    expect(withProject.algorithms).toEqual(['RS256', 'ES256']);
    expect(problems).toEqual([]);
    const bad: Problems = [];
    tokensSection(withDefaults({ ZITAUTH_ALLOWED_ALGS: 'HS256,none', ZITAUTH_JWKS_MIN_REFRESH_INTERVAL_MS: '0' }), bad, IDENTITY);
    expect(bad.map((p) => p.split(/[: ]/)[0])).toEqual(['ZITAUTH_ALLOWED_ALGS', 'ZITAUTH_ALLOWED_ALGS', 'ZITAUTH_JWKS_MIN_REFRESH_INTERVAL_MS']);
  });
});

describe('cache and introspection', () => {
  test('cache bounds', () => {
    expect(run(cacheSection, {}).part).toEqual({ cacheSize: 10_000, introspectionCacheTtlSec: 60 });
    expect(run(cacheSection, { ZITAUTH_CACHE_SIZE: '-1' }).problems[0]).toContain('ZITAUTH_CACHE_SIZE');
  });

  test('key file or Basic credentials, not both; each half of Basic needs the other', () => {
    expect(run(introspectionSection, {}).part.introspection).toBeUndefined();
    expect(run(introspectionSection, { ZITAUTH_INTROSPECTION_CLIENT_ID: 'api@zitauth', ZITAUTH_INTROSPECTION_CLIENT_SECRET: 'sécret' }).part.introspection).toEqual({ kind: 'basic', clientId: 'api@zitauth', clientSecret: 'sécret' });
    expect(run(introspectionSection, { ZITAUTH_INTROSPECTION_CLIENT_SECRET: 's' }).problems).toEqual(['ZITAUTH_INTROSPECTION_CLIENT_ID is required with a client secret']);
    expect(run(introspectionSection, { ZITAUTH_INTROSPECTION_KEY_FILE: '/nonexistent/k.json', ZITAUTH_INTROSPECTION_CLIENT_ID: 'a' }).problems[0]).toContain('not both');
  });
});

describe('m2m', () => {
  test('default scopes without openid: the project audience and roles scopes, else profile', () => {
    expect(defaultM2mScopes('3000')).toBe('urn:zitadel:iam:org:project:id:3000:aud urn:zitadel:iam:org:projects:roles');
    expect(defaultM2mScopes(undefined)).toBe('profile');
    const problems: Problems = [];
    const t = tokensSection(withDefaults({ ZITAUTH_PROJECT_ID: '3000' }), problems, IDENTITY);
    expect(m2mSection(withDefaults({ ZITAUTH_M2M_SCOPES: 'openid  urn:zitadel:iam:org:project:id:3000:aud' }), problems, t).m2mScopes).toBe('openid urn:zitadel:iam:org:project:id:3000:aud');
  });

  test('API keys from a value and a file; bad entries named, never echoed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zitauth-keys-'));
    writeFileSync(join(dir, 'keys'), 'file-key-0123456789-abc\nsha256:' + 'ab'.repeat(32) + '\n');
    const problems: Problems = [];
    const t = tokensSection(withDefaults({}), problems, IDENTITY);
    const m = m2mSection(withDefaults({ ZITAUTH_M2M_API_KEYS: 'value-key-0123456789-xyz', ZITAUTH_M2M_API_KEYS_FILE: join(dir, 'keys') }), problems, t);
    expect(problems).toEqual([]);
    expect(m.m2mApiKeys.length).toBe(3);
    const bad: Problems = [];
    m2mSection(withDefaults({ ZITAUTH_M2M_API_KEYS: 'ключ,sha256:zz' }), bad, t);
    expect(bad.join('\n')).not.toContain('ключ');
    expect(bad.length).toBe(2);
  });
});

describe('forward-auth and observability', () => {
  test('claim=Header pairs; a header name with CR/LF or non-ASCII is refused', () => {
    expect(run(forwardAuthSection, { ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS: 'urn:zitadel:iam:user:resourceowner:id=X-Auth-Request-Org' }).part.forwardAuthClaimHeaders).toEqual({ 'urn:zitadel:iam:user:resourceowner:id': 'X-Auth-Request-Org' });
    expect(run(forwardAuthSection, { ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS: 'email=X-Mäil' }).problems.length).toBe(1);
    expect(run(forwardAuthSection, { ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS: 'email=X-A\r\nSet-Cookie' }).problems.length).toBeGreaterThan(0);
  });

  test('log level and access log are closed choices', () => {
    expect(run(observabilitySection, {}).part).toEqual({ logLevel: 'info', accessLog: 'all' });
    expect(run(observabilitySection, { ZITAUTH_ACCESS_LOG: 'errors' }).part.accessLog).toBe('errors');
    const bad = run(observabilitySection, { ZITAUTH_ACCESS_LOG: 'sometimes', ZITAUTH_LOG_LEVEL: 'LOUD' });
    expect(bad.problems.map((p) => p.split(' ')[0])).toEqual(['ZITAUTH_LOG_LEVEL', 'ZITAUTH_ACCESS_LOG']);
    expect(bad.part).toEqual({ logLevel: 'info', accessLog: 'all' });
  });
});

describe('session', () => {
  const section = async (raw: Record<string, string>, identity = IDENTITY) => {
    const { sessionSection } = await import('../../src/config/sections/session.ts');
    const problems: Problems = [];
    return { part: sessionSection(withDefaults(raw), problems, identity), problems };
  };

  test('fragment by default; session mode with https: Secure cookie, the gateway origin, upstreams', async () => {
    expect((await section({})).part.loginMode).toBe('fragment');
    const r = await section({ ZITAUTH_LOGIN_MODE: 'session', ZITAUTH_UPSTREAMS: 'orders=http://orders:8080,billing=https://billing.internal/api' });
    expect(r.problems).toEqual([]);
    expect(r.part.session.origin).toBe('https://gw.example');
    expect(r.part.session.secureCookie).toBe(true);
    expect([...r.part.session.upstreams.keys()]).toEqual(['orders', 'billing']);
    expect(r.part.session).toMatchObject({ idleSec: 1800, maxSec: 43200, maxCount: 100000, refreshSkewSec: 60, upstreamTimeoutMs: 30000, forwardAccessToken: false });
  });

  test('plain http works on loopback only (development): the cookie drops Secure there', async () => {
    const local = await section({ ZITAUTH_LOGIN_MODE: 'session' }, { ...IDENTITY, redirectUri: 'http://localhost:8000/api/v1/callback' });
    expect(local.problems).toEqual([]);
    expect(local.part.session.secureCookie).toBe(false);
    const remote = await section({ ZITAUTH_LOGIN_MODE: 'session' }, { ...IDENTITY, redirectUri: 'http://gw.example/api/v1/callback' });
    expect(remote.problems[0]).toContain('needs an https ZITADEL_REDIRECT_URL');
  });

  test('bad values named; upstreams need session mode; idle may not exceed the maximum', async () => {
    const r = await section({ ZITAUTH_LOGIN_MODE: 'cookies', ZITAUTH_SESSION_IDLE_SEC: '9000', ZITAUTH_SESSION_MAX_SEC: '600', ZITAUTH_UPSTREAMS: 'orders=http://orders' });
    expect(r.problems.join('\n')).toContain('ZITAUTH_LOGIN_MODE must be one of fragment, session');
    expect(r.problems.join('\n')).toContain('ZITAUTH_SESSION_IDLE_SEC must not exceed ZITAUTH_SESSION_MAX_SEC');
    expect(r.problems.join('\n')).toContain('ZITAUTH_UPSTREAMS needs ZITAUTH_LOGIN_MODE=session');
    const bad = await section({ ZITAUTH_LOGIN_MODE: 'session', ZITAUTH_UPSTREAMS: 'Ü=ftp://x,orders=http://user:pa55@orders' });
    expect(bad.problems.length).toBeGreaterThan(0);
    expect(bad.problems.join('\n')).not.toContain('pa55');
  });
});
