/**
 * Server CPU time per /validate request, gateway against its baseline: the steadiest figure on a
 * shared VM, whose speed drifts too much for req/s alone to compare two builds. Reads utime+stime
 * of each server from /proc/PID/stat around a pinned wrk run (same pinning as `bun run bench`),
 * alternating gateway and baseline for several rounds. Not part of `bun run bench`.
 *
 * Usage: bun bench/cpu.ts [repeated|distinct] [rounds=6] [seconds=3]
 *   repeated: one token (cache hits) against bench/baseline-json.ts
 *   distinct: 20,000 tokens, cache 1,000 (all misses) against bench/baseline-jose.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, useBinary } from './gateway.ts';
import { spawnAnnounced, stopChild } from './procs.ts';
import { median, runWrkMeasured } from './wrk.ts';

const mode = process.argv[2] === 'distinct' ? 'distinct' : 'repeated';
const ROUNDS = Number(process.argv[3] ?? 6);
const SECONDS = Number(process.argv[4] ?? 3);
const work = mkdtempSync(join(tmpdir(), 'zitauth-cpu-'));

const idp = await spawnAnnounced<{ issuer: string; clientId: string; projectId: string; jwksUri: string; token: string; tokensFile: string }>(
  [process.execPath, join(import.meta.dir, 'idp.ts')],
  { BENCH_DISTINCT: mode === 'distinct' ? '20000' : '1', BENCH_OUT: work },
);
const I = idp.info;
const baseline =
  mode === 'repeated'
    ? await spawnAnnounced<{ port: number }>([process.execPath, join(import.meta.dir, 'baseline-json.ts')], {
        BENCH_CLAIMS: Buffer.from(I.token.split('.')[1]!, 'base64url').toString(),
      })
    : await spawnAnnounced<{ port: number }>([process.execPath, join(import.meta.dir, 'baseline-jose.ts')], {
        BENCH_JWKS_URI: I.jwksUri,
        BENCH_ISSUER: I.issuer,
        BENCH_AUDIENCE: I.projectId,
      });
const gw = await startGateway(work, { ZITADEL_DOMAIN: I.issuer, ZITADEL_CLIENT_ID: I.clientId, ZITAUTH_PROJECT_ID: I.projectId, ZITAUTH_CACHE_SIZE: '1000' });

const servers = [
  { name: mode === 'repeated' ? 'bare Bun.serve JSON' : 'bare Bun + jose', url: `http://127.0.0.1:${baseline.info.port}/`, pid: baseline.proc.pid, us: [] as number[] },
  { name: `zitauth /validate (${useBinary ? 'binary' : 'source'})`, url: `${gw.url}/api/v1/validate`, pid: gw.pid, us: [] as number[] },
];
const load = mode === 'repeated' ? { token: I.token } : { tokensFile: I.tokensFile };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of servers) {
      const r = await runWrkMeasured({ url: s.url, pid: s.pid, ...load, warmupSec: 1, durationSec: SECONDS, connections: 50, threads: 1 });
      if (r.non2xx > 0) throw new Error(`${s.name}: ${r.non2xx} non-2xx answers`);
      s.us.push(r.cpuUs);
      console.error(`[cpu] round ${round} ${s.name}: ${r.cpuUs.toFixed(1)} µs/request, ${Math.round(r.rps)} req/s`);
    }
  }
  const [base, gate] = servers.map((s) => median(s.us)) as [number, number];
  console.log(`${mode}: ${servers[0]!.name} ${base.toFixed(1)} µs, ${servers[1]!.name} ${gate.toFixed(1)} µs CPU per request (medians of ${ROUNDS}); baseline/gateway = ${(base / gate).toFixed(2)}`);
} finally {
  await stopChild(gw.proc);
  await baseline.stop();
  await idp.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
