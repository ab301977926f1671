/** Starts the gateway under test for the bench scripts: the compiled binary when built, else from source. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { freePort, serverPin, waitForHttp } from './procs.ts';

const ROOT = join(import.meta.dir, '..');
export const BINARY = join(ROOT, 'dist', 'zitauth');
/** BENCH_GATEWAY=binary|source picks one; by default the binary when `bun run build` made it. */
export const useBinary = process.env.BENCH_GATEWAY ? process.env.BENCH_GATEWAY === 'binary' : existsSync(BINARY);

/**
 * Whether dist/zitauth can be measured: missing, or older than the newest file under src/ (then
 * it measures other code than the tree holds). The bench builds nothing itself.
 */
export function binaryState(): { state: 'missing' } | { state: 'stale'; newest: string } | { state: 'fresh' } {
  if (!existsSync(BINARY)) return { state: 'missing' };
  const built = statSync(BINARY).mtimeMs;
  let newest = { path: '', mtime: 0 };
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const m = statSync(p).mtimeMs;
        if (m > newest.mtime) newest = { path: p, mtime: m };
      }
    }
  };
  walk(join(ROOT, 'src'));
  return newest.mtime > built ? { state: 'stale', newest: newest.path.slice(ROOT.length + 1) } : { state: 'fresh' };
}

/**
 * Starts `zitauth serve` pinned like the baselines, logging at info (or BENCH_LOG_LEVEL) to
 * /dev/null, on `port` (default: a free one); resolves once /healthz answers (a gateway that does
 * not is stopped). `cwd` should be an empty directory, so no stray ./.env is picked up. `cmd`:
 * the binary or source tree to run (bench/ab.ts), by default this tree's. The caller stops `proc`.
 */
export async function startGateway(
  cwd: string,
  env: Record<string, string>,
  port = freePort(),
  cmd = useBinary ? [BINARY, 'serve'] : [process.execPath, join(ROOT, 'src', 'main.ts'), 'serve'],
): Promise<{ url: string; pid: number; proc: Subprocess }> {
  const proc = Bun.spawn([...serverPin, ...cmd], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      ZITAUTH_HOST: '127.0.0.1',
      ZITADEL_REDIRECT_URL: `http://127.0.0.1:${port}/api/v1/callback`,
      SPA_ORIGIN: 'http://127.0.0.1:3001',
      ZITAUTH_COOKIE_SECRET: 'bench-cookie-secret-0123456789-abcdefghij',
      // One access line per request is part of the product; other levels are for experiments.
      ZITAUTH_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      ...env,
    },
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'inherit',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`);
  } catch (err) {
    proc.kill();
    throw err;
  }
  return { url, pid: proc.pid, proc };
}
