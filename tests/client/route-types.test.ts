/**
 * The route-table generator knows no route: it prints whatever an Elysia app declares (bodies,
 * path parameters, wildcards, library types like Date and Response), and the printed table types
 * an Eden client like the original app does. What it cannot print self-contained — a Bun type,
 * a class instance — stops it with the route's path instead of shipping a dangling reference.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { loadGateway, RouteTypeError, type GatewayProgram } from '../../client/scripts/route-types.ts';
import { CONSUMER_OPTIONS } from '../../client/scripts/build.ts';

const ROOT = resolve(import.meta.dir, '../..');

// Routes the gateway does not have (yet): the generator must not care.
const APP = `import { Elysia, t } from 'elysia';
class Session { constructor(readonly id: string) {} }
const app = new Elysia()
  .post('/api/v1/session', ({ body }) => ({ id: body.name }), {
    body: t.Object({ name: t.String(), tags: t.Optional(t.Array(t.String())) }),
    response: { 200: t.Object({ id: t.String() }), 401: t.Object({ error: t.String(), error_description: t.String() }) },
  })
  .get('/api/v1/proxy/*', () => 'proxied')
  .get('/api/v1/users/:id', ({ params }) => ({ id: params.id, at: new Date(), pair: [1, 'два'] as const }))
  .post('/api/v1/backchannel-logout', () => new Response(null, { status: 204 }), { body: t.Object({ logout_token: t.String() }) });
export type App = typeof app;
const withFile = new Elysia().get('/api/v1/file', () => Bun.file('x'));
export type WithBunFile = typeof withFile;
const withClass = new Elysia().get('/api/v1/session-object', () => new Session('s'));
export type WithClass = typeof withClass;
`;

let dir: string;
let gateway: GatewayProgram;
beforeAll(() => {
  // Inside the repository, so elysia and Bun's types resolve from its node_modules.
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  dir = mkdtempSync(join(ROOT, 'dist', '.route-types-test-'));
  writeFileSync(join(dir, 'app.ts'), APP);
  gateway = loadGateway({ tsconfig: join(ROOT, 'tsconfig.json'), entry: join(dir, 'app.ts') });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('route table of an app the generator has never seen', () => {
  test('carries bodies, path parameters, wildcards and library types', () => {
    const routes = gateway.routesOf();
    expect(routes).toContain('session: {');
    expect(routes).toContain('"backchannel-logout": {');
    expect(routes).toContain('"*": {');
    expect(routes).toContain('":id": {');
    expect(routes).toContain('at: Date;');
    expect(routes).toContain('pair: readonly [1, "два"];');
    expect(routes).toContain('200: Response;');
    expect(routes).not.toMatch(/import\(|Elysia|TObject|Static</);
  });

  test('types an Eden client: right calls compile, wrong ones do not', () => {
    const stage = join(dir, 'consumer');
    mkdirSync(stage);
    writeFileSync(join(stage, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(stage, 'gateway.ts'),
      `import type { Elysia } from 'elysia';\nexport type R = ${gateway.routesOf()};\nexport type App = Elysia<'', { decorator: {}; store: {}; derive: {}; resolve: {} }, { typebox: {}; error: {} }, { schema: {}; standaloneSchema: {}; macro: {}; macroFn: {}; parser: {}; response: {} }, R>;\n`,
    );
    const lines = [
      `import { treaty } from '@elysiajs/eden';`,
      `import type { App } from './gateway.js';`,
      `const c = treaty<App>('http://localhost:1');`,
      `const s = await c.api.v1.session.post({ name: '山田太郎', tags: ['管理者'] });`,
      `const id: string | undefined = s.data?.id;`,
      `if (s.error?.status === 401) console.log(s.error.value.error_description);`,
      `const u = await c.api.v1.users({ id: 'josé' }).get();`,
      `const at: Date | undefined = u.data?.at;`,
      `console.log(id, at, await c.api.v1.proxy['*'].get());`,
      `await c.api.v1.session.post({ nom: 'x' });`, // 10: unknown field
      `await c.api.v1.session.get();`, // 11: no such method
      `await c.api.v1['backchannel-logout'].post({});`, // 12: logout_token missing
    ];
    writeFileSync(join(stage, 'use.ts'), lines.join('\n'));
    const program = ts.createProgram([join(stage, 'use.ts')], { ...CONSUMER_OPTIONS, noEmit: true, declaration: false });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file ? d.file.getLineAndCharacterOfPosition(d.start!).line + 1 : 0}: TS${d.code}`);
    expect(errors.map((e) => Number(e.split(':')[0]))).toEqual([10, 11, 12]);
  });
});

describe('what the generator refuses, naming the route', () => {
  test.each([
    ['WithBunFile', 'Routes.api.v1.file.get.response.200', /BunFile from bun-types/],
    ['WithClass', 'Routes.api.v1.session-object.get.response.200', /instance of class Session/],
  ])('%s', (name, path, why) => {
    let err: unknown;
    try {
      gateway.routesOf(name);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RouteTypeError);
    expect((err as RouteTypeError).path).toBe(path);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toContain('declare a response schema');
  });
});
