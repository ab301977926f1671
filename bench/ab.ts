/**
 * A/B of gateway builds (or any bench server) under the same pinned wrk load, interleaved, for
 * judging one hot-path change on a noisy VM: run the tree with the change and the tree without it
 * side by side. Prints each server's median CPU per request and the median of its per-round ratio
 * to the first. The order of the servers is reversed every other round. Not part of `bun run bench`.
 *
 * Usage: bun bench/ab.ts <repeated|pool|distinct|junk|forward-auth> <rounds> <seconds> SPEC...
 *   SPEC: a server of bench/scenarios.ts (floor, minimal, jose, gwAll, …; not the session ones),
 *         src:DIR[:K=V;K=V]  the gateway from the source tree DIR (bun DIR/src/main.ts serve),
 *         bin:FILE[:K=V;K=V] a compiled gateway,
 *   with extra gateway environment after the second colon, e.g.
 *   bun bench/ab.ts junk 8 2 src:/tmp/before src:/tmp/after "src:/tmp/after:ZITAUTH_ACCESS_LOG=off"
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdpInfo } from './idp.ts';
import { startGateway } from './gateway.ts';
import { junkTokens } from './junk.ts';
import { freePort, spawnAnnounced, stopChild, type Child } from './procs.ts';
import { SERVERS, type ServerId } from './scenarios.ts';
import { startServer } from './servers.ts';
import { median, runWrkMeasured } from './wrk.ts';

const MODES = ['repeated', 'pool', 'distinct', 'junk', 'forward-auth'] as const;
type Mode = (typeof MODES)[number];
const [modeArg, roundsArg, secondsArg, ...specs] = process.argv.slice(2);
if (!MODES.includes(modeArg as Mode) || specs.length === 0) {
  console.error(`usage: bun bench/ab.ts <${MODES.join('|')}> <rounds> <seconds> SPEC...  (see the header of bench/ab.ts)`);
  process.exit(2);
}
const mode = modeArg as Mode;
const rounds = Number(roundsArg ?? 6);
const seconds = Number(secondsArg ?? 3);

interface Entry {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
  us: number[];
}

const work = mkdtempSync(join(tmpdir(), 'zitauth-ab-'));
const entries: Entry[] = [];
let idp: Child<IdpInfo> | undefined;
try {
  idp = await spawnAnnounced<IdpInfo>([process.execPath, join(import.meta.dir, 'idp.ts')], {
    BENCH_DISTINCT: String(mode === 'distinct' ? 20_000 : 0),
    BENCH_POOL: String(mode === 'pool' ? 5_000 : 0),
    BENCH_OUT: work,
  });
  const I = idp.info;
  const path = mode === 'forward-auth' ? '/api/v1/forward-auth' : '/api/v1/validate';
  for (const spec of specs) {
    const [kind, arg, extra] = spec.split(':');
    if (kind === 'src' || kind === 'bin') {
      const cmd = kind === 'src' ? [process.execPath, join(arg!, 'src', 'main.ts'), 'serve'] : [arg!, 'serve'];
      const env: Record<string, string> = {
        ZITADEL_DOMAIN: I.issuer,
        ZITADEL_CLIENT_ID: I.clientId,
        ZITAUTH_PROJECT_ID: I.projectId,
        ZITAUTH_LOG_LEVEL: 'info',
        ...Object.fromEntries((extra ?? '').split(';').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
      };
      const g = await startGateway(work, env, freePort(), cmd);
      entries.push({ name: spec, url: `${g.url}${path}`, pid: g.pid, stop: () => stopChild(g.proc), us: [] });
    } else if (kind! in SERVERS && !kind!.startsWith('gwSession')) {
      const s = await startServer(kind as ServerId, {
        work,
        idp: I,
        node: process.env.BENCH_NODE ?? '/usr/bin/node',
        sessionPorts: { memory: 0, redis: 0 },
        redis: () => Promise.reject(new Error('bench/ab.ts runs no Redis')),
      });
      entries.push({ name: spec, url: `${s.origin}${path}`, pid: s.pid, stop: s.stop, us: [] });
    } else {
      throw new Error(`unknown SPEC ${spec}`);
    }
  }
  let tokensFile: string | undefined;
  if (mode === 'junk') {
    tokensFile = join(work, 'junk-tokens.txt');
    writeFileSync(tokensFile, junkTokens(20_000));
  } else if (mode === 'pool') tokensFile = I.poolFile;
  else if (mode === 'distinct') tokensFile = I.tokensFile;
  const load = tokensFile ? { tokensFile } : { token: I.token };
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order, so no server always runs first (or right after a given other one).
    for (const e of round % 2 ? entries : [...entries].reverse()) {
      const r = await runWrkMeasured({ url: e.url, pid: e.pid, ...load, warmupSec: 1, durationSec: seconds, connections: 50, threads: 1 });
      e.us.push(r.cpuUs);
    }
    console.error(`[ab] round ${round}: ${entries.map((e) => `${e.name} ${e.us.at(-1)!.toFixed(1)} µs`).join(' | ')}`);
  }
  const first = entries[0]!;
  console.log(`| ${mode}: server | CPU µs/req (median of ${rounds}) | × first (median of paired ratios) |\n|---|---:|---:|`);
  for (const e of entries) console.log(`| ${e.name} | ${median(e.us).toFixed(2)} | ${median(e.us.map((u, i) => u / first.us[i]!)).toFixed(3)} × |`);
} finally {
  for (const e of entries) await e.stop();
  await idp?.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
