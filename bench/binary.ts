#!/usr/bin/env bun
/**
 * Size of the compiled binary and its cold start: spawn → first 200 on /healthz, with a valid
 * configuration pointed at an in-process dev IdP. Median of N runs. Not a test: numbers only.
 *
 *   bun run build && bun bench/binary.ts [runs=9] [path=dist/zitauth]
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { startDevIdp } from '../src/devidp/index.ts';

const runs = Number(process.argv[2] ?? 9);
const bin = resolve(process.argv[3] ?? 'dist/zitauth');

function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

async function coldStart(env: Record<string, string>, port: number): Promise<number> {
  const t0 = performance.now();
  const proc = Bun.spawn([bin, 'serve'], { env, stdout: 'ignore', stderr: 'ignore' });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      if (proc.exitCode !== null) throw new Error(`zitauth exited with ${proc.exitCode}`);
      if (performance.now() - t0 > 20_000) throw new Error('no 200 within 20 s');
      await Bun.sleep(2);
    }
  } finally {
    proc.kill('SIGTERM');
    await proc.exited;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const idp = await startDevIdp({ redirectUris: ['http://127.0.0.1:1/api/v1/callback'] });
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const port = freePort();
  times.push(
    await coldStart(
      {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ZITADEL_DOMAIN: idp.issuer,
        ZITADEL_CLIENT_ID: idp.clientId,
        ZITADEL_REDIRECT_URL: `http://127.0.0.1:${port}/api/v1/callback`,
        SPA_ORIGIN: `http://127.0.0.1:${port}`,
        PORT: String(port),
        ZITAUTH_HOST: '127.0.0.1',
        ZITAUTH_COOKIE_SECRET: 'bench-cookie-secret-0123456789abcdefghij',
        ZITAUTH_SERVE_SPA: 'true',
        ZITAUTH_LOG_LEVEL: 'error',
      },
      port,
    ),
  );
}
await idp.close();

const size = statSync(bin).size;
const rows: [string, string][] = [
  ['binary', bin],
  ['size', `${(size / 1024 / 1024).toFixed(1)} MiB (${size} bytes)`],
  ['runs', String(runs)],
  ['cold start → 200 /healthz, median', `${median(times).toFixed(1)} ms`],
  ['min / max', `${Math.min(...times).toFixed(1)} / ${Math.max(...times).toFixed(1)} ms`],
];
const w = Math.max(...rows.map(([k]) => k.length));
console.log(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n'));
