import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProvision } from '../../src/provision/index.ts';
import { parseDotenv } from '../../src/provision/output.ts';
import { loadConfig, readEnvironment } from '../../src/config/index.ts';
import { type ZitadelFake, startZitadelFake } from '../support/zitadel-fake.ts';

const PAT = 'pat-Zm9vYmFyYmF6LXNlY3JldC10b2tlbg';

describe('zitauth provision against the Zitadel fake', () => {
  let fake: ZitadelFake;
  let dir: string;
  let patFile: string;
  const logs: string[][] = [];

  const run = async (extra: string[] = [], env: Record<string, string | undefined> = {}) => {
    const lines: string[] = [];
    logs.push(lines);
    const code = await runProvision(
      ['--zitadel', fake.url, '--pat-file', patFile, '--out-dir', dir, '--redirect-url', 'http://localhost:8000/api/v1/callback',
        '--spa-origin', 'http://localhost:8000', '--tos-link', 'https://example.test/tos', '--privacy-link', 'https://example.test/privacy', ...extra],
      env,
      { log: (s) => lines.push(s) },
    );
    return { code, out: lines.join('\n') };
  };

  beforeAll(async () => {
    fake = startZitadelFake({ pat: PAT });
    dir = await mkdtemp(join(tmpdir(), 'zitauth-provision-'));
    patFile = join(dir, 'admin.pat');
    await writeFile(patFile, `${PAT}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('first run creates everything with the documented request shapes', async () => {
    const { code, out } = await run();
    expect(out).not.toContain(PAT);
    expect(code).toBe(0);
    expect(fake.violations).toEqual([]);

    // project with role assertion and both roles
    const projectCreate = fake.calls.find((c) => c.method === 'POST' && c.path === '/management/v1/projects');
    expect(projectCreate?.body).toMatchObject({ name: 'ZitAuth', projectRoleAssertion: true });
    expect(fake.state.projects[0]?.roles.map((r) => r.key)).toEqual(['admin', 'user']);

    // user-agent app: PKCE (auth method NONE), JWT access tokens with roles, dev mode for http
    const oidc = fake.calls.find((c) => c.path.endsWith('/apps/oidc'))?.body;
    expect(oidc).toMatchObject({
      name: 'ZitAuth SPA',
      appType: 'OIDC_APP_TYPE_USER_AGENT',
      authMethodType: 'OIDC_AUTH_METHOD_TYPE_NONE',
      responseTypes: ['OIDC_RESPONSE_TYPE_CODE'],
      redirectUris: ['http://localhost:8000/api/v1/callback'],
      postLogoutRedirectUris: ['http://localhost:8000/'],
      accessTokenType: 'OIDC_TOKEN_TYPE_JWT',
      accessTokenRoleAssertion: true,
      devMode: true,
      version: 'OIDC_VERSION_1_0',
    });
    expect(oidc?.grantTypes).toContain('OIDC_GRANT_TYPE_AUTHORIZATION_CODE');

    // API app with private_key_jwt, machine user with JWT tokens, one JSON key each
    expect(fake.calls.find((c) => c.path.endsWith('/apps/api'))?.body).toEqual({ name: 'ZitAuth API', authMethodType: 'API_AUTH_METHOD_TYPE_PRIVATE_KEY_JWT' });
    expect(fake.calls.find((c) => c.path === '/management/v1/users/machine')?.body).toMatchObject({ userName: 'zitauth-m2m', accessTokenType: 'ACCESS_TOKEN_TYPE_JWT' });
    expect(fake.state.userKeys).toHaveLength(1);
    expect(fake.state.appKeys).toHaveLength(1);

    // privacy links: the org inherited the default → a custom policy is added
    expect(fake.calls.find((c) => c.method === 'POST' && c.path === '/management/v1/policies/privacy')?.body)
      .toMatchObject({ tosLink: 'https://example.test/tos', privacyLink: 'https://example.test/privacy' });
  });

  test('key files and .env are written, private, and consistent with Zitadel', async () => {
    const sa = JSON.parse(await readFile(join(dir, 'service-account.json'), 'utf8'));
    expect(sa).toMatchObject({ type: 'serviceaccount', userId: fake.state.users[0]?.id, keyId: fake.state.userKeys[0]?.id });
    expect(sa.key).toStartWith('-----BEGIN RSA PRIVATE KEY-----');
    const ik = JSON.parse(await readFile(join(dir, 'introspection-key.json'), 'utf8'));
    const apiApp = fake.state.apps.find((a) => a.apiConfig);
    expect(ik).toMatchObject({ type: 'application', appId: apiApp?.id, clientId: apiApp?.apiConfig?.clientId });

    for (const f of ['service-account.json', 'introspection-key.json', '.env']) {
      expect(((await stat(join(dir, f))).mode & 0o777).toString(8)).toBe('600');
    }

    const env = parseDotenv(await readFile(join(dir, '.env'), 'utf8'));
    const project = fake.state.projects[0]!;
    const spa = fake.state.apps.find((a) => a.oidcConfig)!;
    expect(Object.fromEntries(env)).toMatchObject({
      ZITADEL_DOMAIN: fake.url,
      ZITADEL_CLIENT_ID: spa.oidcConfig!.clientId,
      ZITADEL_REDIRECT_URL: 'http://localhost:8000/api/v1/callback',
      SPA_ORIGIN: 'http://localhost:8000',
      SERVICE_ACCOUNT_FILE: join(dir, 'service-account.json'),
      ZITAUTH_PROJECT_ID: project.id,
      ZITAUTH_AUDIENCE: `${spa.oidcConfig!.clientId},${project.id}`,
      ZITAUTH_INTROSPECTION_KEY_FILE: join(dir, 'introspection-key.json'),
    });
    expect(env.get('ZITAUTH_COOKIE_SECRET')!.length).toBeGreaterThanOrEqual(32);
    expect(env.get('ZITAUTH_M2M_API_KEYS')).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The raw key was printed once and hashes to the stored value.
    const out = logs[0]!.join('\n');
    const raw = out.match(/^\s+(zat_[A-Za-z0-9_-]+)$/m)?.[1];
    expect(raw).toBeDefined();
    expect(`sha256:${createHash('sha256').update(raw!).digest('hex')}`).toBe(env.get('ZITAUTH_M2M_API_KEYS')!);
    // No private key material in the output.
    expect(out).not.toContain('PRIVATE KEY');
  });

  test('the written .env is a configuration the gateway accepts', () => {
    const config = loadConfig(readEnvironment({}, join(dir, '.env')));
    expect(config).toBeDefined();
  });

  test('re-running reuses everything: no creates, no new keys, same secrets', async () => {
    const before = await readFile(join(dir, '.env'), 'utf8');
    await writeFile(join(dir, '.env'), `${before}ZITAUTH_LOG_LEVEL=debug\n`, { mode: 0o600 });
    const creates = () => ({
      projects: fake.count('POST', /^\/management\/v1\/projects$/),
      roles: fake.count('POST', /\/roles\/_bulk$/),
      oidc: fake.count('POST', /\/apps\/oidc$/),
      api: fake.count('POST', /\/apps\/api$/),
      users: fake.count('POST', /^\/management\/v1\/users\/machine$/),
      keys: fake.count('POST', /\/keys$/),
      puts: fake.count('PUT', /./),
      privacyPosts: fake.count('POST', /\/policies\/privacy$/),
    });
    const first = creates();
    const { code, out } = await run();
    expect(code).toBe(0);
    expect(fake.violations).toEqual([]);
    expect(creates()).toEqual(first);
    expect(fake.state.userKeys).toHaveLength(1);
    expect(fake.state.appKeys).toHaveLength(1);
    expect(out).not.toMatch(/zat_/);

    const a = parseDotenv(before);
    const b = parseDotenv(await readFile(join(dir, '.env'), 'utf8'));
    expect(b.get('ZITAUTH_COOKIE_SECRET')).toBe(a.get('ZITAUTH_COOKIE_SECRET')!);
    expect(b.get('ZITAUTH_M2M_API_KEYS')).toBe(a.get('ZITAUTH_M2M_API_KEYS')!);
    expect(b.get('ZITAUTH_LOG_LEVEL')).toBe('debug');
  });

  test('drifted settings are converged with the update endpoints', async () => {
    const spa = fake.state.apps.find((a) => a.oidcConfig)!;
    spa.oidcConfig = { ...spa.oidcConfig, accessTokenType: 'OIDC_TOKEN_TYPE_BEARER' };
    fake.state.users[0]!.machine.accessTokenType = undefined; // proto default = BEARER, omitted on the wire
    const { code } = await run(['--tos-link', 'https://example.test/tos-v2']);
    expect(code).toBe(0);
    expect(fake.violations).toEqual([]);
    expect(fake.calls.filter((c) => c.method === 'PUT').map((c) => c.path.replace(/\d{6,}/g, '{id}'))).toEqual([
      '/management/v1/projects/{id}/apps/{id}/oidc_config',
      '/management/v1/users/{id}/machine',
      '/management/v1/policies/privacy',
    ]);
    expect(spa.oidcConfig!.accessTokenType).toBe('OIDC_TOKEN_TYPE_JWT');
    expect(fake.state.privacy.tosLink).toBe('https://example.test/tos-v2');
  });

  test('a missing key file is re-created for the existing user, without duplicating the user', async () => {
    await rm(join(dir, 'service-account.json'));
    const { code } = await run();
    expect(code).toBe(0);
    expect(fake.state.users).toHaveLength(1);
    expect(fake.state.userKeys).toHaveLength(2);
    expect(fake.state.appKeys).toHaveLength(1);
  });

  test('a rejected token fails clearly without echoing it', async () => {
    const badPat = join(dir, 'bad.pat');
    await writeFile(badPat, 'not-the-right-token-abcdef');
    const lines: string[] = [];
    const code = await runProvision(['--zitadel', fake.url, '--pat-file', badPat, '--out-dir', join(dir, 'other')], {}, { log: (s) => lines.push(s) });
    fake.violations.length = 0; // the fake records the wrong token as a violation on purpose
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain('HTTP 401');
    expect(lines.join('\n')).not.toContain('not-the-right-token-abcdef');
  });

  test('every call has a timeout', async () => {
    const hanging: typeof fetch = ((_url: string, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof fetch;
    const lines: string[] = [];
    const code = await runProvision(['--zitadel', 'http://zitadel.invalid', '--pat-file', patFile, '--out-dir', join(dir, 'hang'), '--timeout-ms', '100'], {}, { fetch: hanging, log: (s) => lines.push(s) });
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain('did not answer POST /management/v1/projects/_search within 100 ms');
  });

  test('usage errors exit 2 and name what is missing; env vars are honoured', async () => {
    const lines: string[] = [];
    expect(await runProvision([], {}, { log: (s) => lines.push(s) })).toBe(2);
    expect(lines.join('\n')).toContain('--zitadel or ZITADEL_DOMAIN');
    expect(lines.join('\n')).toContain('--pat-file or ZITADEL_PAT_FILE');

    const out: string[] = [];
    const code = await runProvision(['provision', '--out-dir', join(dir, 'envrun')], { ZITADEL_DOMAIN: fake.url, ZITADEL_PAT_FILE: patFile }, { log: (s) => out.push(s) });
    expect(code).toBe(0);
    expect(fake.violations).toEqual([]);
  });

  test('an unreadable PAT file is reported by path, not content', async () => {
    const lines: string[] = [];
    const code = await runProvision(['--zitadel', fake.url, '--pat-file', join(dir, 'nope.pat')], {}, { log: (s) => lines.push(s) });
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain('nope.pat (ENOENT)');
  });
});

describe('provision sends back every field it read (Zitadel replaces the whole record)', () => {
  const run = async (fake: ZitadelFake, dir: string, patFile: string, extra: string[] = []) => {
    const lines: string[] = [];
    const code = await runProvision(
      ['--zitadel', fake.url, '--pat-file', patFile, '--out-dir', dir, '--redirect-url', 'http://localhost:8000/api/v1/callback', '--spa-origin', 'http://localhost:8000', ...extra],
      {},
      { log: (s) => lines.push(s) },
    );
    return { code, out: lines.join('\n') };
  };

  for (const version of ['v2.71', 'v4'] as const) {
    describe(`against Zitadel ${version}`, () => {
      let fake: ZitadelFake;
      let dir: string;
      let patFile: string;
      beforeAll(async () => {
        fake = startZitadelFake({ pat: PAT, version });
        dir = await mkdtemp(join(tmpdir(), 'zitauth-provision-full-'));
        patFile = join(dir, 'admin.pat');
        await writeFile(patFile, PAT, { mode: 0o600 });
        const first = await run(fake, dir, patFile, ['--roles', 'admin,管理者,🚀-launch', '--tos-link', 'https://example.test/tos']);
        expect(first.code).toBe(0);
        expect(fake.violations).toEqual([]);
      });
      afterAll(async () => {
        await fake.stop();
        await rm(dir, { recursive: true, force: true });
      });

      test('non-ASCII role keys are created as given', () => {
        expect(fake.state.projects[0]!.roles.map((r) => r.key)).toEqual(['admin', '管理者', '🚀-launch']);
      });

      test('a re-run with nothing to change sends no update at all (Zitadel would answer 400)', async () => {
        const puts = fake.count('PUT', /./);
        const { code } = await run(fake, dir, patFile, ['--roles', 'admin,管理者,🚀-launch', '--tos-link', 'https://example.test/tos']);
        expect(code).toBe(0);
        expect(fake.violations).toEqual([]);
        expect(fake.count('PUT', /./)).toBe(puts);
      });

      test('an OIDC app update keeps clock skew, extra origins, back-channel URI, login version and other grants', async () => {
        const app = fake.state.apps.find((a) => a.oidcConfig)!;
        Object.assign(app.oidcConfig!, {
          accessTokenType: 'OIDC_TOKEN_TYPE_BEARER', // drift the gateway fixes
          redirectUris: ['http://localhost:8000/api/v1/callback'],
          grantTypes: ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE', 'OIDC_GRANT_TYPE_DEVICE_CODE'],
          clockSkew: '2.5s',
          additionalOrigins: ['https://app.例え.jp'],
          skipNativeAppSuccessPage: true,
          backChannelLogoutUri: 'https://other.example/bcl',
          loginVersion: { loginV2: { baseUri: 'https://login.example/' } },
        });
        const { code } = await run(fake, dir, patFile, ['--roles', 'admin,管理者,🚀-launch', '--tos-link', 'https://example.test/tos']);
        expect(code).toBe(0);
        expect(fake.violations).toEqual([]);
        const put = fake.calls.filter((c) => c.method === 'PUT' && c.path.endsWith('/oidc_config')).at(-1)!;
        expect(put.body).toMatchObject({ clockSkew: '2.5s', additionalOrigins: ['https://app.例え.jp'], skipNativeAppSuccessPage: true, backChannelLogoutUri: 'https://other.example/bcl', loginVersion: { loginV2: { baseUri: 'https://login.example/' } } });
        expect(app.oidcConfig).toMatchObject({
          accessTokenType: 'OIDC_TOKEN_TYPE_JWT',
          clockSkew: '2.5s',
          additionalOrigins: ['https://app.例え.jp'],
          skipNativeAppSuccessPage: true,
          backChannelLogoutUri: 'https://other.example/bcl',
          loginVersion: { loginV2: { baseUri: 'https://login.example/' } },
          grantTypes: ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE', 'OIDC_GRANT_TYPE_DEVICE_CODE', 'OIDC_GRANT_TYPE_REFRESH_TOKEN'],
          idTokenRoleAssertion: true,
          idTokenUserinfoAssertion: true,
        });
      });

      test('by default the back-channel URI is registered only where the app has none; --no-backchannel-logout registers none', async () => {
        const app = fake.state.apps.find((a) => a.oidcConfig)!;
        app.oidcConfig!.backChannelLogoutUri = '';
        expect((await run(fake, dir, patFile, ['--roles', 'admin,管理者,🚀-launch', '--tos-link', 'https://example.test/tos', '--no-backchannel-logout'])).code).toBe(0);
        expect(app.oidcConfig!.backChannelLogoutUri ?? '').toBe('');
        const { code, out } = await run(fake, dir, patFile, ['--roles', 'admin,管理者,🚀-launch', '--tos-link', 'https://example.test/tos']);
        expect(code).toBe(0);
        expect(fake.violations).toEqual([]);
        expect(app.oidcConfig!.backChannelLogoutUri).toBe('http://localhost:8000/api/v1/backchannel-logout');
        expect(out).toContain('back-channel logout URI: http://localhost:8000/api/v1/backchannel-logout (unless the app had one)');
      });

      test('--backchannel-logout registers <gateway>/api/v1/backchannel-logout on the app', async () => {
        const { code, out } = await run(fake, dir, patFile, ['--roles', 'admin,管理者,🚀-launch', '--tos-link', 'https://example.test/tos', '--backchannel-logout']);
        expect(code).toBe(0);
        expect(fake.violations).toEqual([]);
        const app = fake.state.apps.find((a) => a.oidcConfig)!;
        expect(app.oidcConfig!.backChannelLogoutUri).toBe('http://localhost:8000/api/v1/backchannel-logout');
        expect(app.oidcConfig!.clockSkew).toBe('2.5s');
        expect(out).toContain('back-channel logout URI: http://localhost:8000/api/v1/backchannel-logout');
        expect(out).toContain('enable_back_channel_logout');
      });

      test('a project update keeps role check, project check and private labeling', async () => {
        const project = fake.state.projects[0]!;
        Object.assign(project, { projectRoleAssertion: false, projectRoleCheck: true, hasProjectCheck: true, privateLabelingSetting: 'PRIVATE_LABELING_SETTING_ENFORCE_PROJECT_RESOURCE_OWNER_POLICY' });
        const { code } = await run(fake, dir, patFile, ['--roles', 'admin,管理者,🚀-launch', '--tos-link', 'https://example.test/tos']);
        expect(code).toBe(0);
        expect(fake.violations).toEqual([]);
        expect(project).toMatchObject({ projectRoleAssertion: true, projectRoleCheck: true, hasProjectCheck: true, privateLabelingSetting: 'PRIVATE_LABELING_SETTING_ENFORCE_PROJECT_RESOURCE_OWNER_POLICY', name: 'ZitAuth' });
      });

      test('a privacy policy update keeps the docs link and the custom link', async () => {
        // The custom policy was created from the instance default: its docs link came along.
        expect(fake.state.privacy.docsLink).toBe('https://zitadel.com/docs');
        Object.assign(fake.state.privacy, { customLink: 'https://example.test/impressum', customLinkText: 'Impressum — Ü', helpLink: 'https://example.test/help' });
        const { code } = await run(fake, dir, patFile, ['--roles', 'admin,管理者,🚀-launch', '--tos-link', 'https://example.test/tos-v2']);
        expect(code).toBe(0);
        expect(fake.violations).toEqual([]);
        expect(fake.state.privacy).toMatchObject({ tosLink: 'https://example.test/tos-v2', docsLink: 'https://zitadel.com/docs', customLink: 'https://example.test/impressum', customLinkText: 'Impressum — Ü', helpLink: 'https://example.test/help' });
      });
    });
  }
});

describe('key files: expiry and keys left behind', () => {
  test('a new key expires after a year by default, the output says so and names earlier keys still valid', async () => {
    const fake = startZitadelFake({ pat: PAT });
    const dir = await mkdtemp(join(tmpdir(), 'zitauth-provision-keys-'));
    try {
      const patFile = join(dir, 'admin.pat');
      await writeFile(patFile, PAT, { mode: 0o600 });
      const args = ['--zitadel', fake.url, '--pat-file', patFile, '--out-dir', dir];
      const lines: string[] = [];
      expect(await runProvision(args, {}, { log: (s) => lines.push(s) })).toBe(0);
      const yearAhead = Date.now() + 365 * 86_400_000;
      for (const k of [...fake.state.userKeys, ...fake.state.appKeys]) expect(Math.abs(Date.parse(k.expirationDate!) - yearAhead)).toBeLessThan(3_600_000);
      expect(JSON.parse(await readFile(join(dir, 'service-account.json'), 'utf8')).expirationDate).toBe(fake.state.userKeys[0]!.expirationDate!);
      expect(lines.join('\n')).toMatch(/service user key: created .*valid until \d{4}-\d{2}-\d{2} \(default one year; --key-expiration to choose\)/);

      // The key file is lost: a new key is made, and the old one is named as still valid.
      await rm(join(dir, 'service-account.json'));
      const again: string[] = [];
      expect(await runProvision([...args, '--key-expiration', '2031-02-03T04:05:06Z'], {}, { log: (s) => again.push(s) })).toBe(0);
      expect(fake.state.userKeys).toHaveLength(2);
      expect(fake.state.userKeys[1]!.expirationDate).toBe('2031-02-03T04:05:06.000Z');
      const out = again.join('\n');
      expect(out).toContain('valid until 2031-02-03');
      expect(out).not.toContain('default one year');
      expect(out).toContain(`1 earlier key(s) of this user are still valid in Zitadel (ids ${fake.state.userKeys[0]!.id})`);
      expect(fake.violations).toEqual([]);

      const bad: string[] = [];
      expect(await runProvision([...args, '--key-expiration', '2001-01-01T00:00:00Z'], {}, { log: (s) => bad.push(s) })).toBe(2);
      expect(bad.join('\n')).toContain('--key-expiration must be in the future');
    } finally {
      await fake.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the fake behaves like Zitadel on updates', () => {
  let fake: ZitadelFake;
  const call = (method: string, path: string, body: unknown) =>
    fetch(`${fake.url}/management/v1${path}`, { method, headers: { authorization: `Bearer ${PAT}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  beforeAll(() => {
    fake = startZitadelFake({ pat: PAT, version: 'v2.71' });
  });
  afterAll(() => fake.stop());

  test('full replace: fields left out are reset; an unchanged PUT is 400 with Zitadel\'s error', async () => {
    const { id: projectId } = (await (await call('POST', '/projects', { name: 'P' })).json()) as { id: string };
    const cfg = { redirectUris: ['http://x/cb'], responseTypes: ['OIDC_RESPONSE_TYPE_CODE'], grantTypes: ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE'], appType: 'OIDC_APP_TYPE_USER_AGENT', authMethodType: 'OIDC_AUTH_METHOD_TYPE_NONE', postLogoutRedirectUris: [], devMode: true, accessTokenType: 'OIDC_TOKEN_TYPE_JWT', accessTokenRoleAssertion: true };
    const { appId } = (await (await call('POST', `/projects/${projectId}/apps/oidc`, { name: 'A', ...cfg, clockSkew: '1s', additionalOrigins: ['https://o.example'] })).json()) as { appId: string };
    const same = await call('PUT', `/projects/${projectId}/apps/${appId}/oidc_config`, { ...cfg, clockSkew: '1s', additionalOrigins: ['https://o.example'] });
    expect(same.status).toBe(400);
    expect(await same.json()).toMatchObject({ code: 9, message: 'No changes (COMMAND-1m88i)' });
    expect((await call('PUT', `/projects/${projectId}/apps/${appId}/oidc_config`, cfg)).status).toBe(200);
    const app = fake.state.apps.find((a) => a.id === appId)!;
    expect(app.oidcConfig).toMatchObject({ clockSkew: '0s', additionalOrigins: [] });

    const project = { name: 'P', projectRoleAssertion: false, projectRoleCheck: false, hasProjectCheck: false };
    const unchanged = await call('PUT', `/projects/${projectId}`, project);
    expect(unchanged.status).toBe(400);
    expect(await unchanged.json()).toMatchObject({ code: 9, message: 'No changes (COMMAND-2M0fs)' });

    await call('POST', '/policies/privacy', { tosLink: 'https://t', docsLink: 'https://d' });
    const samePolicy = await call('PUT', '/policies/privacy', { tosLink: 'https://t', docsLink: 'https://d' });
    expect(samePolicy.status).toBe(400);
    expect(await samePolicy.json()).toMatchObject({ code: 9, message: 'Errors.Org.PrivacyPolicy.NotChanged (Org-4N9fs)' });
    expect((await call('PUT', '/policies/privacy', { tosLink: 'https://t' })).status).toBe(200);
    expect(fake.state.privacy.docsLink).toBe('');
    fake.violations.length = 0;
  });

  test('v4 answers an unchanged project with 200', async () => {
    const v4 = startZitadelFake({ pat: PAT, version: 'v4' });
    try {
      const c = (method: string, path: string, body: unknown) =>
        fetch(`${v4.url}/management/v1${path}`, { method, headers: { authorization: `Bearer ${PAT}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const { id } = (await (await c('POST', '/projects', { name: 'P' })).json()) as { id: string };
      expect((await c('PUT', `/projects/${id}`, { name: 'P' })).status).toBe(200);
    } finally {
      await v4.stop();
    }
  });
});
