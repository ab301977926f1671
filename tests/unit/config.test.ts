/**
 * loadConfig: the original ZitAuth's .env names work unchanged, every problem is reported at
 * once naming its variable (never echoing a secret), and the `check-config` CLI exits 0/1.
 */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const ORIGINAL = {
  ZITADEL_DOMAIN: 'http://localhost:8080/',
  ZITADEL_CLIENT_ID: '2792XXXX@zitauth',
  ZITADEL_REDIRECT_URL: 'http://localhost:8000/api/v1/callback',
  SPA_ORIGIN: 'http://127.0.0.1:3001',
  SERVICE_ACCOUNT_FILE: './service-user.json',
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test("the original .env names only → a valid config with ZitAuth's defaults", () => {
    const c = loadConfig(ORIGINAL);
    expect(c.issuer).toBe('http://localhost:8080'); // trailing slash dropped: Zitadel's iss has none
    expect(c.clientId).toBe(ORIGINAL.ZITADEL_CLIENT_ID);
    expect(c.redirectUri).toBe(ORIGINAL.ZITADEL_REDIRECT_URL);
    expect(c.spaOrigin).toBe('http://127.0.0.1:3001');
    expect(c.serviceAccountFile).toBe('./service-user.json');
    expect(c.port).toBe(8000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.algorithms).toEqual(['RS256']);
    expect(c.audience).toEqual([ORIGINAL.ZITADEL_CLIENT_ID]);
    expect(c.loginScopes.split(' ')).toContain('openid');
    // No openid: Zitadel does not need it for the JWT profile grant (see sections/m2m.ts).
    expect(c.m2mScopes).toBe('profile');
    expect(c.m2mApiKeys).toEqual([]);
    expect(c.corsOrigins).toEqual(['http://127.0.0.1:3001']);
    expect(c.returnToOrigins).toEqual(['http://127.0.0.1:3001']);
    expect(c.postLogoutRedirectUris).toEqual(['http://127.0.0.1:3001/']);
    expect(c.cookieSecretGenerated).toBe(true);
    expect(c.cookieSecret.length).toBeGreaterThanOrEqual(32);
    expect(c.introspection).toBeUndefined();
    expect(c.httpTimeoutMs).toBe(5000);
    expect(c.loginTtlSec).toBe(600);
    expect(c.logLevel).toBe('info');
  });

  test('project id sets the default audience and the M2M audience scope', () => {
    const c = loadConfig({ ...ORIGINAL, ZITAUTH_PROJECT_ID: '3000001' });
    expect(c.audience).toEqual(['3000001']);
    expect(c.m2mScopes).toBe('urn:zitadel:iam:org:project:id:3000001:aud urn:zitadel:iam:org:projects:roles');
  });

  test('missing required variables → one ConfigError listing all four', () => {
    const p = problems({});
    const text = p.join('\n');
    for (const name of ['ZITADEL_DOMAIN', 'ZITADEL_CLIENT_ID', 'ZITADEL_REDIRECT_URL', 'SPA_ORIGIN']) expect(text).toContain(name);
    expect(p.length).toBe(4);
    // Blank values count as missing.
    expect(problems({ ...ORIGINAL, ZITADEL_CLIENT_ID: '   ' }).join()).toContain('ZITADEL_CLIENT_ID');
  });

  test.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['ZITADEL_DOMAIN', { ZITADEL_DOMAIN: 'not a url' }],
    ['ZITADEL_DOMAIN', { ZITADEL_DOMAIN: 'ftp://idp.example' }],
    ['ZITADEL_REDIRECT_URL', { ZITADEL_REDIRECT_URL: '/api/v1/callback' }],
    ['SPA_ORIGIN', { SPA_ORIGIN: 'http://127.0.0.1:3001/app' }],
    ['ZITAUTH_ALLOWED_ALGS', { ZITAUTH_ALLOWED_ALGS: 'RS256,HS256' }],
    ['ZITAUTH_ALLOWED_ALGS', { ZITAUTH_ALLOWED_ALGS: 'none' }],
    ['ZITAUTH_COOKIE_SECRET', { ZITAUTH_COOKIE_SECRET: 'too-short-secret' }],
    ['ZITAUTH_M2M_API_KEYS', { ZITAUTH_M2M_API_KEYS: 'sha256:abcd' }],
    ['ZITAUTH_M2M_API_KEYS', { ZITAUTH_M2M_API_KEYS: 'short' }],
    ['ZITAUTH_HTTP_TIMEOUT_MS', { ZITAUTH_HTTP_TIMEOUT_MS: '10' }],
    ['ZITAUTH_LOGIN_TTL_SEC', { ZITAUTH_LOGIN_TTL_SEC: '5' }],
    ['ZITAUTH_LOG_LEVEL', { ZITAUTH_LOG_LEVEL: 'loud' }],
    ['ZITAUTH_SCOPES', { ZITAUTH_SCOPES: 'email profile' }],
    ['ZITAUTH_INTROSPECTION_KEY_FILE', { ZITAUTH_INTROSPECTION_KEY_FILE: '/nonexistent/key.json' }],
    ['ZITAUTH_INTROSPECTION_CLIENT_SECRET', { ZITAUTH_INTROSPECTION_CLIENT_ID: 'api@zitauth' }],
  ] as const)('%s is named when invalid (%o)', (name, bad) => {
    const p = problems({ ...ORIGINAL, ...bad });
    expect(p.length).toBe(1);
    expect(p[0]).toContain(name);
  });

  test('several problems are reported together, without echoing secrets', () => {
    const secret = 'short-cookie-secret';
    const p = problems({ ...ORIGINAL, PORT: '-1', ZITAUTH_ALLOWED_ALGS: 'HS256', ZITAUTH_COOKIE_SECRET: secret, ZITAUTH_M2M_API_KEYS: 'plainkey' });
    const text = p.join('\n');
    for (const name of ['PORT', 'ZITAUTH_ALLOWED_ALGS', 'ZITAUTH_COOKIE_SECRET', 'ZITAUTH_M2M_API_KEYS']) expect(text).toContain(name);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('plainkey');
  });

  test('API keys: sha256:<hex> and plain keys both end up as digests', () => {
    const plain = 'plain-api-key-0123456789';
    const hex = createHash('sha256').update('other-key-0123456789').digest('hex');
    const c = loadConfig({ ...ORIGINAL, ZITAUTH_M2M_API_KEYS: `sha256:${hex},${plain}` });
    expect(c.m2mApiKeys.map((k) => Buffer.from(k.sha256).toString('hex'))).toEqual([hex, createHash('sha256').update(plain).digest('hex')]);
  });

  test('secrets from files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zitauth-config-'));
    writeFileSync(join(dir, 'cookie'), 'from-a-file-0123456789-0123456789-abc\n');
    const c = loadConfig({ ...ORIGINAL, ZITAUTH_COOKIE_SECRET_FILE: join(dir, 'cookie') });
    expect(c.cookieSecret).toBe('from-a-file-0123456789-0123456789-abc');
    expect(c.cookieSecretGenerated).toBe(false);
    expect(problems({ ...ORIGINAL, ZITAUTH_COOKIE_SECRET_FILE: join(dir, 'missing') })[0]).toContain('ZITAUTH_COOKIE_SECRET_FILE');
  });
});

describe('check-config CLI', () => {
  const main = join(import.meta.dir, '../../src/main.ts');
  const run = (env: Record<string, string>, files: Record<string, string> = {}) => {
    const cwd = mkdtempSync(join(tmpdir(), 'zitauth-cli-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
    const p = Bun.spawnSync(['bun', 'run', main, 'check-config'], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? cwd, ...env },
    });
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  };

  test('exit 0 with a valid environment', () => {
    const r = run(ORIGINAL);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Configuration OK');
  });

  test('exit 0 with the original names in ./.env', () => {
    const dotenv = Object.entries(ORIGINAL).map(([k, v]) => `${k}=${v}`).join('\n');
    expect(run({}, { '.env': dotenv }).code).toBe(0);
  });

  test('exit 1 listing every problem', () => {
    const r = run({ PORT: 'x', ZITAUTH_COOKIE_SECRET: 'tiny' });
    expect(r.code).toBe(1);
    for (const name of ['ZITADEL_DOMAIN', 'ZITADEL_CLIENT_ID', 'ZITADEL_REDIRECT_URL', 'SPA_ORIGIN', 'PORT', 'ZITAUTH_COOKIE_SECRET']) {
      expect(r.err).toContain(name);
    }
    expect(r.err).not.toContain('tiny');
  });
});
