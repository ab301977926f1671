#!/usr/bin/env bun
/**
 * `bun run build:client`: the `@zitauth/client` package, from client/src and the gateway's App type.
 *
 *   1. the route table of src/app.ts's `App`, printed as plain types (route-types.ts);
 *   2. client/src/index.ts compiled next to it as a consumer would compile it (nodenext, strict,
 *      exactOptionalPropertyTypes, no Bun or @types packages): JS + declarations;
 *   3. the declarations checked to stand alone (bundle-check.ts);
 *   4. dist/client/ (the package folder) and `npm pack` → dist/zitauth-client-<version>.tgz.
 *
 * The package's version is the gateway's: its types describe that gateway's routes.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { loadGateway } from './route-types.ts';
import { bundleProblems } from './bundle-check.ts';

const ROOT = resolve(import.meta.dir, '../..');
const CLIENT = join(ROOT, 'client');

/** What a consumer's `tsc --init` turns on (plus declarations), so the package compiles there. */
export const CONSUMER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  skipLibCheck: true,
  types: [],
  declaration: true,
  noEmitOnError: true,
};

export interface BuiltClient {
  /** The package folder (what `npm pack` packed). */
  dir: string;
  tarball: string;
  version: string;
  /** Package-relative path → text of every declaration file shipped. */
  declarations: Record<string, string>;
}

function formatDiagnostics(d: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(d, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' });
}

/** Declaration files under `dir`, keyed by their path relative to it. */
export function declarationsIn(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.d\.[cm]?ts$/.test(name)) out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

export function buildClient(opts: { outDir?: string; log?: (line: string) => void } = {}): BuiltClient {
  const log = opts.log ?? (() => {});
  const outDir = opts.outDir ?? join(ROOT, 'dist');
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  // 1. The route table. Staged inside the repository so `elysia`/`@elysiajs/eden` resolve from its node_modules.
  const routes = loadGateway({ tsconfig: join(ROOT, 'tsconfig.json'), entry: join(CLIENT, 'src/gateway.ts') }).routesOf();
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const stage = mkdtempSync(join(ROOT, 'dist', '.client-stage-'));
  writeFileSync(join(stage, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(stage, 'gateway.ts'),
    `/**
 * The ZitAuth gateway ${version}'s routes, generated from its App type by \`bun run build:client\`.
 * Do not edit: regenerate from the gateway's sources.
 */
import type { Elysia } from 'elysia';

/** Path segments → method → { body, params, query, headers, response by status }. */
export type GatewayRoutes = ${routes};

/** The gateway as Eden Treaty sees it: an Elysia app with exactly these routes. */
export type App = Elysia<
  '',
  { decorator: {}; store: {}; derive: {}; resolve: {} },
  { typebox: {}; error: {} },
  { schema: {}; standaloneSchema: {}; macro: {}; macroFn: {}; parser: {}; response: {} },
  GatewayRoutes
>;
`,
  );
  copyFileSync(join(CLIENT, 'src/index.ts'), join(stage, 'index.ts'));

  // 2. Compile as a consumer project would.
  const pkgDir = join(outDir, 'client');
  rmSync(pkgDir, { recursive: true, force: true });
  try {
    const program = ts.createProgram([join(stage, 'index.ts'), join(stage, 'gateway.ts')], { ...CONSUMER_OPTIONS, rootDir: stage, outDir: join(pkgDir, 'dist') });
    const emitted = program.emit();
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
    if (diagnostics.length || emitted.emitSkipped) throw new Error(`the client does not compile as a consumer would:\n${formatDiagnostics(diagnostics)}`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  // gateway.ts holds only types: its JS is an empty module nothing imports.
  rmSync(join(pkgDir, 'dist/gateway.js'));

  // 3. Self-contained declarations, or no package.
  const declarations = declarationsIn(pkgDir);
  const problems = bundleProblems(declarations);
  if (problems.length) throw new Error(`the client's declarations are not self-contained:\n  ${problems.join('\n  ')}`);

  // 4. The package folder and its tarball.
  const manifest = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(pkgDir, 'package.json'), `${JSON.stringify({ name: manifest.name, version, ...manifest }, null, 2)}\n`);
  copyFileSync(join(CLIENT, 'README.md'), join(pkgDir, 'README.md'));
  const pack = Bun.spawnSync(['npm', 'pack', pkgDir, '--pack-destination', outDir, '--json', '--silent'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  if (pack.exitCode !== 0) throw new Error(`npm pack failed:\n${pack.stderr.toString()}`);
  const [info] = JSON.parse(pack.stdout.toString()) as { filename: string; size: number; unpackedSize: number }[];
  const tarball = join(outDir, info!.filename);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const dts = Object.values(declarations).reduce((n, t) => n + Buffer.byteLength(t), 0);
  log(`${relative(ROOT, tarball)}: ${kb(info!.size)} packed, ${kb(info!.unpackedSize)} unpacked; declarations ${kb(dts)}`);
  return { dir: pkgDir, tarball, version, declarations };
}

if (import.meta.main) {
  try {
    buildClient({ log: (l) => console.log(l) });
  } catch (err) {
    console.error(`build:client: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
