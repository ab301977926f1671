/**
 * `@zitauth/client` as a new user meets it: `npm pack`ed, installed with plain npm into a fresh
 * project with the configuration `tsc --init` writes (nodenext, strict, exactOptionalPropertyTypes),
 * type-checked by the TypeScript npm serves today (7) and by 5.9, then compiled and run on Node
 * against a live gateway. No Bun, no path mapping, no gateway sources in the consumer.
 *
 * npm's cache makes repeated runs quick (`--prefer-offline`); the first run downloads TypeScript.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { VERSION } from '../../src/version.ts';
import { CONFIG_MODES, freePort, startStack, type Stack } from '../support/stack.ts';
import { systemTool } from '../support/system-tool.ts';
import { cleanEnv } from '../build/process.ts';
import { builtClient, sh } from './support.ts';

const NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : 'node';
const LONG = 240_000;

/** The compilers a consumer may have: what `npm install typescript` gets today, and the 5.x line. */
const COMPILERS = [
  { name: 'TypeScript 7', spec: 'typescript@7', tsc: 'node_modules/typescript/bin/tsc' },
  { name: 'TypeScript 5.9', spec: 'typescript-5.9@npm:typescript@5.9', tsc: 'node_modules/typescript-5.9/bin/tsc' },
] as const;

/** What the README promises a consumer can write: validate, userinfo, m2m-token, forward-auth. */
const CONSUMER = `import {
  bearer,
  createZitAuthClient,
  EdenFetchError,
  type Claims,
  type ErrorBody,
  type ForwardAuthResponse,
  type Health,
  type M2mToken,
  type UserinfoResponse,
} from '@zitauth/client';

// No @types/node in this project (tsc --init sets "types": []): read the environment untyped.
const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
const zitauth = createZitAuthClient(env.ZITAUTH_URL ?? 'http://localhost:8000');
const userToken = env.USER_TOKEN ?? '';

const health = await zitauth.healthz.get();
if (health.error) throw new Error(\`healthz: HTTP \${health.status}\`);
const h: Health = health.data;

const m2m = await zitauth.api.v1['m2m-token'].post();
if (m2m.error) throw new Error(\`m2m-token: HTTP \${m2m.error.status} \${JSON.stringify(m2m.error.value)}\`);
const token: M2mToken = m2m.data;

const service = await zitauth.api.v1.validate.get({ headers: bearer(token.access_token) });
if (service.error) throw new Error(\`validate (service user): HTTP \${service.error.status}\`);
const serviceClaims: Claims = service.data;

const user = await zitauth.api.v1.validate.get({ headers: bearer(userToken), query: { role: ['管理者', 'éditeur'] } });
if (user.error) throw new Error(\`validate (user): HTTP \${user.error.status}\`);
const claims: Claims = user.data;

const forbidden = await zitauth.api.v1.validate.get({ headers: bearer(userToken), query: { role: ['nopé', '"quoted"'] } });
const forbiddenBody: ErrorBody | null = forbidden.error?.status === 403 ? forbidden.error.value : null;

const garbage = await zitauth.api.v1.validate.get({ headers: { authorization: 'Bearer not.a.jwt' } });
const garbageBody: ErrorBody | null = garbage.error?.status === 401 ? garbage.error.value : null;

const profile = await zitauth.api.v1.userinfo.get({ headers: bearer(userToken) });
if (profile.error) throw new Error(\`userinfo: HTTP \${profile.error.status}\`);
const info: UserinfoResponse = profile.data;

// @ts-expect-error: on purpose, without the (required) header — the gateway answers 400 with a challenge.
const anonymous = await zitauth.api.v1.userinfo.get();
const anonymousBody: ErrorBody | null = anonymous.error?.status === 400 ? anonymous.error.value : null;

const proxied = await zitauth.api.v1['forward-auth'].get({ headers: bearer(userToken), query: { role: ['éditeur'] } });
if (proxied.error) throw new Error(\`forward-auth: HTTP \${proxied.error.status}\`);
const ok: ForwardAuthResponse = proxied.data;

// Nothing listening: a rejection, not a made-up 503.
let down: string;
try {
  const r = await createZitAuthClient(env.DOWN_URL ?? 'http://127.0.0.1:9').healthz.get();
  down = \`resolved \${r.status}\`;
} catch (e) {
  down = e instanceof EdenFetchError ? \`rejected \${(e.value as { cause?: { code?: string } }).cause?.code}\` : 'rejected with something else';
}

console.log(JSON.stringify({
  health: h,
  down,
  serviceSub: serviceClaims.sub ?? null,
  userSub: claims.sub ?? null,
  userName: claims['name'] ?? null,
  forbidden: { status: forbidden.status, body: forbiddenBody },
  garbage: { status: garbage.status, body: garbageBody },
  userinfoSub: info.userinfo.sub,
  anonymous: { status: anonymous.status, body: anonymousBody },
  forwardAuth: { ok: ok.ok, user: proxied.response.headers.get('x-auth-request-user') },
}));
`;

/**
 * Mistakes the types must catch, each with the line it is on and the compiler's error code.
 * The first lines of every case set up a client; `>>` marks the line expected to fail.
 */
const MISTAKES: { name: string; code: number[]; body: string }[] = [
  { name: 'a misspelled route', code: [2551, 2339], body: `>> await zitauth.api.v1.valdiate.get();` },
  { name: 'a wrong query type (string for string[])', code: [2322], body: `>> await zitauth.api.v1.validate.get({ headers: { authorization: 'Bearer t' }, query: { role: '管理者' } });` },
  { name: 'an unknown query parameter', code: [2353, 2561], body: `>> await zitauth.api.v1.validate.get({ headers: { authorization: 'Bearer t' }, query: { rol: ['admin'] } });` },
  { name: 'a bearer route without the authorization header', code: [2554, 2345], body: `>> await zitauth.api.v1.validate.get();` },
  { name: 'a wrong method (POST on validate)', code: [2339], body: `>> await zitauth.api.v1.validate.post();` },
  {
    name: 'a wrong type for response data',
    code: [2322],
    body: `const r = await zitauth.api.v1['m2m-token'].get();\nif (!r.error) {\n>> const n: number = r.data.access_token;\n  console.log(n);\n}`,
  },
  {
    name: 'a field the error body does not have',
    code: [2339],
    body: `const r = await zitauth.api.v1.validate.get({ headers: { authorization: 'Bearer t' } });\nif (r.error?.status === 401) {\n>> console.log(r.error.value.reason);\n}`,
  },
];

let project: string;
let mistakes: string;
let tools = true;

beforeAll(async () => {
  tools = systemTool('npm', 'npm', 'tests/client/consumer.test.ts') && systemTool(NODE, 'nodejs', 'tests/client/consumer.test.ts');
  if (!tools) return;
  const { tarball } = builtClient();
  const root = mkdtempSync(join(tmpdir(), 'zitauth-consumer-'));
  project = join(root, 'app');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'zitauth-consumer', private: true, type: 'module' }, null, 2));
  const install = await sh(['npm', 'install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...COMPILERS.map((c) => c.spec)], {
    cwd: project,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.err}`);
  const init = await sh([NODE, COMPILERS[0].tsc, '--init'], { cwd: project });
  if (init.code !== 0) throw new Error(`tsc --init failed:\n${init.out}${init.err}`);
  writeFileSync(join(project, 'src/consumer.ts'), CONSUMER);

  // The mistakes live in a sibling project with the same configuration and packages, so the
  // consumer project stays exactly what `tsc --init` made.
  mistakes = join(root, 'mistakes');
  mkdirSync(mistakes);
  symlinkSync(join(project, 'node_modules'), join(mistakes, 'node_modules'));
  writeFileSync(join(mistakes, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(mistakes, 'tsconfig.json'), await Bun.file(join(project, 'tsconfig.json')).text());
  MISTAKES.forEach((m, i) => {
    const source = `import { createZitAuthClient } from '@zitauth/client';\nconst zitauth = createZitAuthClient('http://localhost:8000');\n${m.body.replace('>> ', '')}\n`;
    writeFileSync(join(mistakes, `mistake-${i}.ts`), source);
  });
  // The README's example, as a user would paste it (with the two values it assumes).
  const readme = await Bun.file(join(import.meta.dir, '../../client/README.md')).text();
  const example = /## Use\n+```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  writeFileSync(join(mistakes, 'readme.ts'), `declare const token: string;\ndeclare const apiKey: string;\n${example}`);
}, LONG);

afterAll(() => {
  if (project) rmSync(join(project, '..'), { recursive: true, force: true });
});

describe('@zitauth/client installed from its tarball with plain npm', () => {
  test('brings Eden and the elysia peer, and none of the server dependencies', () => {
    if (!tools) return;
    const installed = [
      ...readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('@')),
      ...readdirSync(join(project, 'node_modules')).filter((n) => n.startsWith('@')).flatMap((s) => readdirSync(join(project, 'node_modules', s)).map((n) => `${s}/${n}`)),
    ];
    expect(installed).toEqual(expect.arrayContaining(['@zitauth/client', '@elysiajs/eden', 'elysia']));
    for (const server of ['oidc-provider', 'oauth4webapi', 'jose', 'koa', '@types/bun', 'bun-types', '@types/oidc-provider', 'swagger-ui-dist', '@elysiajs/swagger']) {
      expect(installed).not.toContain(server);
    }
  });

  test('tsc --init writes module nodenext, strict and exactOptionalPropertyTypes', () => {
    if (!tools) return;
    const { config, error } = ts.readConfigFile(join(project, 'tsconfig.json'), ts.sys.readFile);
    expect(error).toBeUndefined();
    const o = (config as { compilerOptions: Record<string, unknown> }).compilerOptions;
    // If a future `tsc --init` stops writing these, this test says so instead of testing less.
    expect({ module: String(o.module).toLowerCase(), strict: o.strict, exactOptionalPropertyTypes: o.exactOptionalPropertyTypes }).toEqual({
      module: 'nodenext',
      strict: true,
      exactOptionalPropertyTypes: true,
    });
  });
});

describe.each(COMPILERS)('$name in the tsc --init project', ({ tsc }) => {
  let errors: Map<string, { line: number; code: number; text: string }[]>;
  beforeAll(async () => {
    if (!tools) return;
    const r = await sh([NODE, join(project, tsc), '--noEmit', '--pretty', 'false', '-p', mistakes], { cwd: mistakes });
    errors = new Map();
    for (const m of r.out.matchAll(/^([\w-]+\.ts)\((\d+),\d+\): error TS(\d+): (.*)$/gm)) {
      const list = errors.get(m[1]!) ?? [];
      list.push({ line: Number(m[2]), code: Number(m[3]), text: m[4]! });
      errors.set(m[1]!, list);
    }
  }, LONG);

  test('tsc --noEmit passes on a file using validate, userinfo, m2m-token and forward-auth', async () => {
    if (!tools) return;
    const r = await sh([NODE, join(project, tsc), '--noEmit', '--pretty', 'false', '-p', project], { cwd: project });
    expect(r.out + r.err).toBe('');
    expect(r.code).toBe(0);
  }, LONG);

  test("the client README's example compiles", () => {
    if (!tools) return;
    expect(errors.get('readme.ts') ?? []).toEqual([]);
    expect([...errors.keys()].every((f) => f.startsWith('mistake-') || f === 'readme.ts')).toBe(true);
  });

  test.each(MISTAKES.map((m, i) => [m.name, i, m] as const))('rejects %s', (_name, i, m) => {
    if (!tools) return;
    const line = 2 + m.body.split('\n').findIndex((l) => l.startsWith('>> ')) + 1;
    const found = errors.get(`mistake-${i}.ts`) ?? [];
    expect(found.map((e) => e.line)).toEqual([line]);
    expect(m.code).toContain(found[0]!.code);
  });
});

describe.each(CONFIG_MODES)('compiled consumer on Node against a live gateway (%s)', (mode) => {
  let stack: Stack;
  let compiled = '';
  beforeAll(async () => {
    if (!tools) return;
    stack = await startStack({ mode });
    if (!existsSync(join(project, 'src/consumer.js'))) {
      const r = await sh([NODE, join(project, COMPILERS[0].tsc), '-p', project], { cwd: project });
      if (r.code !== 0) throw new Error(`tsc failed:\n${r.out}${r.err}`);
    }
    compiled = join(project, 'src/consumer.js');
  }, LONG);
  afterAll(() => stack?.close());

  test('gets typed data and typed errors', async () => {
    if (!tools) return;
    // Roles stay within Latin-1: forward-auth copies them into a header, and the gateway cannot
    // send other characters there yet (reported; the claim in the JSON body is not limited).
    const roles = { éditeur: { '3000': 'exämple.com' } };
    const userToken = await stack.idp.mintAccessToken({ claims: { name: '山田太郎 "quoted" 🙂', 'urn:zitadel:iam:org:project:roles': roles } });
    const version = await sh([NODE, '--version'], { cwd: project });
    expect(Number(/^v(\d+)/.exec(version.out)![1])).toBeGreaterThanOrEqual(20);
    const r = await sh([NODE, compiled], { cwd: project, env: cleanEnv({ ZITAUTH_URL: stack.url, USER_TOKEN: userToken, DOWN_URL: `http://127.0.0.1:${freePort()}` }) });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as Record<string, any>;
    expect(out.health).toEqual({ status: 'ok', version: VERSION });
    expect(out.down).toBe('rejected ECONNREFUSED');
    expect(out.serviceSub).toBe(stack.idp.serviceUserKey.userId);
    expect(out.userSub).toBe('300000000000000010');
    expect(out.userName).toBe('山田太郎 "quoted" 🙂');
    expect(out.forbidden.status).toBe(403);
    expect(out.forbidden.body.error).toBe('insufficient_scope');
    expect(out.garbage).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(out.anonymous).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(out.userinfoSub).toBe('300000000000000010');
    expect(out.forwardAuth).toEqual({ ok: true, user: '300000000000000010' });
    // The error bodies are the RFC shape and nothing more.
    for (const body of [out.forbidden.body, out.garbage.body, out.anonymous.body]) expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  }, LONG);
});
