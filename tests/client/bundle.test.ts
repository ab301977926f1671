/**
 * The packed `@zitauth/client` holds a self-contained declaration bundle: its .d.ts files name no
 * module but `elysia`, `@elysiajs/eden` and each other, and type-check with no Bun types and no
 * @types packages. The check itself is tested on bundles that do leak, so it cannot pass vacuously.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { ALLOWED_MODULES, bundleProblems } from '../../client/scripts/bundle-check.ts';
import { CONSUMER_OPTIONS, declarationsIn } from '../../client/scripts/build.ts';
import { VERSION } from '../../src/version.ts';
import { builtClient, sh } from './support.ts';

const ROOT = resolve(import.meta.dir, '../..');
let unpacked: string;
let files: string[];
beforeAll(async () => {
  const { tarball } = builtClient();
  // Unpacked inside the repository so `elysia` and `@elysiajs/eden` resolve for the type check.
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  unpacked = mkdtempSync(join(ROOT, 'dist', '.client-unpacked-'));
  const list = await sh(['tar', '-tzf', tarball], { cwd: unpacked });
  files = list.out.split('\n').filter(Boolean).sort();
  const x = await sh(['tar', '-xzf', tarball, '-C', unpacked], { cwd: unpacked });
  expect(x.code).toBe(0);
}, 60_000);
afterAll(() => {
  if (unpacked) rmSync(unpacked, { recursive: true, force: true });
});

describe('the packed client', () => {
  test('holds the JS, the declarations, its manifest and README, nothing else', () => {
    expect(files).toEqual(['package/README.md', 'package/dist/gateway.d.ts', 'package/dist/index.d.ts', 'package/dist/index.js', 'package/package.json']);
  });

  test('manifest: the gateway version, Eden as the only dependency, elysia as peer', async () => {
    const pkg = (await Bun.file(join(unpacked, 'package/package.json')).json()) as Record<string, any>;
    expect(pkg.name).toBe('@zitauth/client');
    expect(pkg.version).toBe(VERSION);
    expect(Object.keys(pkg.dependencies)).toEqual(['@elysiajs/eden']);
    expect(Object.keys(pkg.peerDependencies)).toEqual(['elysia']);
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  });

  test(`declarations name only ${ALLOWED_MODULES.join(', ')} and their own files`, () => {
    const declarations = declarationsIn(join(unpacked, 'package'));
    expect(Object.keys(declarations).sort()).toEqual(['dist/gateway.d.ts', 'dist/index.d.ts']);
    expect(bundleProblems(declarations)).toEqual([]);
    const all = Object.values(declarations).join('\n');
    const leaks = ['oidc-provider', 'oauth4webapi', 'jose', 'koa', 'bun-types', '@types/bun', '@elysiajs/swagger', 'Services', 'BunFile'];
    expect(leaks.filter((l) => all.includes(l))).toEqual([]);
  });

  test('declarations type-check alone: no Bun types, no @types', () => {
    // As .ts copies, so skipLibCheck (on, as in every consumer project) does not skip them.
    const check = join(unpacked, 'as-sources');
    mkdirSync(check);
    writeFileSync(join(check, 'package.json'), JSON.stringify({ type: 'module' }));
    for (const f of ['index', 'gateway']) copyFileSync(join(unpacked, `package/dist/${f}.d.ts`), join(check, `${f}.ts`));
    // A consumer has no Bun types and no @types: elysia's optional import of 'bun' and any
    // `/// <reference types>` stay unresolved here too, as they would there.
    const options = { ...CONSUMER_OPTIONS, noEmit: true, declaration: false };
    const host = ts.createCompilerHost(options);
    const absent = (file: string | undefined) => !!file && /\/node_modules\/(bun-types|@types)\//.test(file);
    host.resolveModuleNameLiterals = (literals, containingFile, redirected, opts, containingSource) =>
      literals.map((lit) => {
        const mode = ts.getModeForUsageLocation(containingSource, lit, opts);
        const r = ts.resolveModuleName(lit.text, containingFile, opts, host, undefined, redirected, mode);
        return absent(r.resolvedModule?.resolvedFileName) ? { resolvedModule: undefined } : r;
      });
    host.resolveTypeReferenceDirectiveReferences = (refs) => refs.map(() => ({ resolvedTypeReferenceDirective: undefined }));
    const program = ts.createProgram([join(check, 'index.ts')], options, host);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
    expect(diagnostics).toEqual([]);
    const loaded = program.getSourceFiles().filter((f) => !program.isSourceFileDefaultLibrary(f)).map((f) => f.fileName);
    expect(loaded.filter((f) => f.startsWith(check)).sort()).toEqual([join(check, 'gateway.ts'), join(check, 'index.ts')]);
    expect(loaded.filter((f) => absent(f) || !(f.startsWith(check) || f.includes('/node_modules/')))).toEqual([]);
  }, 60_000);
});

describe('the self-containment check', () => {
  const CLEAN = `import type { Elysia } from 'elysia';\nimport { type Treaty } from '@elysiajs/eden';\nimport type { App } from './gateway.js';\nexport type A = Treaty.Create<App>;\n`;
  test('accepts the package-shaped bundle', () => {
    expect(bundleProblems({ 'dist/index.d.ts': CLEAN, 'dist/gateway.d.ts': 'export type App = {};\n' })).toEqual([]);
  });
  test.each([
    ['the gateway sources', `import type { Services } from '../../src/services.ts';\nexport type S = Services;`, 'src/services.ts'],
    ['a server dependency (import type)', `export type P = import('oidc-provider').Provider;`, 'oidc-provider'],
    ['a server dependency (import)', `import type { JWK } from 'jose';\nexport type K = JWK;`, 'jose'],
    ['Bun types (reference)', `/// <reference types="bun" />\nexport type X = 1;`, 'reference types="bun"'],
    ['Bun types (import)', `import type { BunFile } from 'bun';\nexport type F = BunFile;`, '"bun"'],
    ['a missing own file', `import type { App } from './nowhere.js';\nexport type X = App;`, './nowhere.js'],
    ['an augmentation of elysia', `declare module 'elysia' { interface X { y: 1 } }\nexport {};`, 'declares module "elysia"'],
    ['a build machine path', `/** from /work/zitauth/src/app.ts */\nexport type X = 1;`, '/work/zitauth/src/app.ts'],
    ['an elysia look-alike', `import type { X } from 'elysia-evil';\nexport type Y = X;`, 'elysia-evil'],
  ])('reports %s', (_what, leak, needle) => {
    const problems = bundleProblems({ 'dist/index.d.ts': CLEAN, 'dist/gateway.d.ts': `${leak}\nexport type App = {};\n` });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(needle);
    expect(problems.every((p) => p.startsWith('dist/gateway.d.ts: '))).toBe(true);
  });
});
