/**
 * Builds `@zitauth/client` once per test process, into a temporary folder (never over the
 * repository's dist/), exactly as `bun run build:client` does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildClient, type BuiltClient } from '../../client/scripts/build.ts';

let built: BuiltClient | undefined;

export function builtClient(): BuiltClient {
  built ??= buildClient({ outDir: mkdtempSync(join(tmpdir(), 'zitauth-client-build-')) });
  return built;
}

/** Runs a command to completion; output as text. */
export async function sh(cmd: string[], opts: { cwd: string; env?: Record<string, string | undefined> }) {
  const p = Bun.spawn(cmd, { cwd: opts.cwd, env: opts.env ?? process.env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}
