/**
 * `bun run bench`: the gateway's token checks side by side with what users would otherwise run,
 * in one run, loopback only; a benchmark, not a test (nothing here runs under `bun test`).
 * Method, figures and their analysis: docs/benchmarks.md.
 *
 * 1. bench/idp.ts (child): the dev IdP; mints the repeated token, a pool of 5,000 users' tokens
 *    and a file of distinct tokens.
 * 2. The servers of bench/scenarios.ts, each its own process pinned to the last core (wrk gets
 *    the first): bare Bun.serve JSON (the floor), bare Bun + jose, Node + Fastify + @fastify/jwt
 *    + get-jwks, Hono's hono/jwk on Bun, and the compiled gateway (dist/zitauth, never built
 *    here) in several configurations, two of them in session mode (memory and Redis store, with a
 *    session logged in through the dev IdP first).
 * 3. Rounds: every selected cell (server × scenario) in turn, each a discarded warm-up then a
 *    measured wrk run; the server's CPU time (utime + stime from /proc) per request is the
 *    verdict, req/s, p50 and p99 are printed beside it. Ratios = median of per-round ratios.
 * 4. RSS: a gateway fed BENCH_RSS_TOKENS distinct valid tokens (bench/rss.ts).
 *
 * Knobs (environment): BENCH_ROUNDS (3), BENCH_SCENARIOS (comma list of repeated, pool, cold,
 * junk, forward-auth, session, rss; all by default), BENCH_DURATION (s, 5), BENCH_WARMUP (s, 2),
 * BENCH_CONNECTIONS (50), BENCH_THREADS (1), BENCH_DISTINCT (cold-scenario tokens, 20000),
 * BENCH_POOL (5000), BENCH_RSS_TOKENS (1000000), BENCH_RSS_CACHE (10000), BENCH_NODE (the Node
 * 20 binary, /usr/bin/node), BENCH_GATEWAY=source (run src/main.ts instead of dist/zitauth),
 * BENCH_LOG_LEVEL (experiments only), BENCH_NO_PIN=1, BENCH_JSON=file (every round's figures).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionLogin } from '../tests/support/session-login.ts';
import { BINARY, binaryState, startGateway, useBinary } from './gateway.ts';
import type { IdpInfo } from './idp.ts';
import { junkTokens } from './junk.ts';
import { freePort, rssMiB, serverPin, spawnAnnounced, stopChild, type Child } from './procs.ts';
import { startRedis, type BenchRedis } from './redis.ts';
import { renderReport, type Results, type RssResult } from './report.ts';
import { sendDistinct, startBenchIssuer } from './rss.ts';
import { SERVERS, selectScenarios, type Cell, type ServerId } from './scenarios.ts';
import { startServer, type Running } from './servers.ts';
import { runWrkMeasured, type MeasuredRun } from './wrk.ts';

const num = (name: string, def: number) => (process.env[name] ? Number(process.env[name]) : def);
const ROUNDS = num('BENCH_ROUNDS', 3);
const DURATION = num('BENCH_DURATION', 5);
const WARMUP = num('BENCH_WARMUP', 2);
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const THREADS = num('BENCH_THREADS', 1);
const DISTINCT = num('BENCH_DISTINCT', 20_000);
const POOL = num('BENCH_POOL', 5_000);
const RSS_TOKENS = num('BENCH_RSS_TOKENS', 1_000_000);
const RSS_CACHE = num('BENCH_RSS_CACHE', 10_000);
const NODE = process.env.BENCH_NODE ?? (Bun.which('node', { PATH: '/usr/bin' }) ? '/usr/bin/node' : (Bun.which('node') ?? 'node'));

const work = mkdtempSync(join(tmpdir(), 'zitauth-bench-'));
const cleanups: (() => Promise<void> | void)[] = [() => rmSync(work, { recursive: true, force: true })];
const log = (s: string) => console.error(`[bench] ${s}`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** Stops with a message naming what to do, before anything is started. */
class Refused extends Error {}

function checkPrerequisites(servers: Set<ServerId>): { notes: string[]; nodeVersion?: string } {
  const notes: string[] = [];
  const gatewayNeeded = [...servers].some((s) => s.startsWith('gw'));
  if (gatewayNeeded && process.env.BENCH_GATEWAY !== 'source') {
    const b = binaryState();
    if (b.state === 'missing') throw new Refused(`${BINARY} is missing: run \`bun run build\` first (or BENCH_GATEWAY=source to measure src/ through bun, not the product).`);
    if (b.state === 'stale') {
      const msg = `WARNING: dist/zitauth is older than ${b.newest}: it measures other code than src/ holds. Run \`bun run build\`.`;
      log(msg);
      notes.push(msg);
    }
  }
  if (!Bun.which('wrk')) throw new Refused('wrk is not installed (Debian: apt-get install wrk).');
  let nodeVersion: string | undefined;
  if (servers.has('fastify') || servers.has('fastifyCold')) {
    const r = Bun.spawnSync([NODE, '--version']);
    if (r.exitCode !== 0) throw new Refused(`${NODE} does not run: the Fastify peer needs Node 20 (BENCH_NODE=path).`);
    nodeVersion = r.stdout.toString().trim();
    if (!nodeVersion.startsWith('v20.')) notes.push(`Note: the Fastify peer runs on Node ${nodeVersion}, not 20.`);
  }
  return { notes, nodeVersion };
}

const firstLine = async (file: string) => (await Bun.file(file).text()).split('\n', 1)[0]!;

async function main(): Promise<void> {
  const { scenarios, cells } = selectScenarios(process.env.BENCH_SCENARIOS);
  const needed = new Set(cells.map((c) => c.server));
  const { notes, nodeVersion } = checkPrerequisites(needed);
  const loadStart = load();
  log(`gateway: ${useBinary ? BINARY : 'bun src/main.ts serve (BENCH_GATEWAY=source)'}; scenarios: ${[...scenarios].join(', ')}; load average ${loadStart}`);
  const perRun = WARMUP + DURATION + 0.5;
  log(
    `${cells.length} cells × ${ROUNDS} rounds, wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s (+${WARMUP}s warm-up): ~${Math.ceil((cells.length * ROUNDS * perRun) / 60)} min` +
      `${scenarios.has('rss') ? ' + the RSS phase' : ''}; ${navigator.hardwareConcurrency} CPUs; ` +
      (serverPin.length ? `servers pinned to CPU ${navigator.hardwareConcurrency - 1}, wrk to CPU 0` : 'no CPU pinning'),
  );

  const sessionPorts = { memory: freePort(), redis: freePort() };
  const needsSession = needed.has('gwSessionMemory') || needed.has('gwSessionRedis');
  const idp: Child<IdpInfo> = await spawnAnnounced([process.execPath, join(import.meta.dir, 'idp.ts')], {
    BENCH_DISTINCT: String(cells.some((c) => c.load === 'distinct') ? DISTINCT : 0),
    BENCH_POOL: String(cells.some((c) => c.load === 'pool') ? POOL : 0),
    BENCH_OUT: work,
    BENCH_REDIRECT_URIS: needsSession ? Object.values(sessionPorts).map((p) => `http://127.0.0.1:${p}/api/v1/callback`).join(',') : '',
  });
  cleanups.push(() => idp.stop());
  const I = idp.info;
  log(`dev IdP ${I.issuer}: minted ${I.count + I.poolCount} RS256 tokens in ${I.mintMs} ms`);
  const junkFile = join(work, 'junk-tokens.txt');
  if (cells.some((c) => c.load === 'junk')) writeFileSync(junkFile, junkTokens(DISTINCT));

  let redis: BenchRedis | undefined;
  const ctx = {
    work,
    idp: I,
    node: NODE,
    sessionPorts,
    redis: async () => {
      if (!redis) {
        redis = await startRedis();
        cleanups.push(() => redis!.stop());
      }
      return redis;
    },
  };
  const running = new Map<ServerId, Running>();
  for (const id of needed) {
    const s = await startServer(id, ctx);
    cleanups.push(() => s.stop());
    running.set(id, s);
    log(`started ${SERVERS[id]} (pid ${s.pid})`);
  }

  // A session per session-mode gateway, logged in through the dev IdP like a browser.
  const cookies = new Map<ServerId, string>();
  for (const id of ['gwSessionMemory', 'gwSessionRedis'] as const) {
    const s = running.get(id);
    if (!s) continue;
    const { cookie } = await sessionLogin(I, s.origin);
    if (!cookie) throw new Error(`${SERVERS[id]}: the login set no session cookie`);
    cookies.set(id, cookie);
  }

  const loadOf = async (c: Cell): Promise<{ token?: string; tokensFile?: string; cookie?: string }> => {
    switch (c.load) {
      case 'token':
        return { token: I.token };
      case 'pool':
        return { tokensFile: I.poolFile };
      case 'distinct':
        return { tokensFile: I.tokensFile };
      case 'junk':
        return { tokensFile: junkFile };
      case 'cookie':
        return { cookie: cookies.get(c.server)! };
    }
  };
  // Every cell answers as expected before anything is measured.
  const plans: { cell: Cell; url: string; server: Running; load: Awaited<ReturnType<typeof loadOf>> }[] = [];
  for (const cell of cells) {
    const server = running.get(cell.server)!;
    const l = await loadOf(cell);
    const url = `${server.origin}${cell.path}`;
    const token = l.token ?? (l.tokensFile ? await firstLine(l.tokensFile) : undefined);
    const res = await fetch(url, { headers: l.cookie ? { cookie: l.cookie } : { authorization: `Bearer ${token}` } });
    const body = await res.text();
    if (res.status !== cell.status) throw new Error(`${cell.key}: expected ${cell.status}, got ${res.status}: ${body.slice(0, 200)}`);
    plans.push({ cell, url, server, load: l });
  }

  const results: Results = new Map();
  const loads: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS} (load average ${load()})`);
    for (const p of plans) {
      const r: MeasuredRun = await runWrkMeasured({
        url: p.url,
        pid: p.server.pid,
        sidePids: p.server.sidePids,
        ...p.load,
        connections: CONNECTIONS,
        threads: THREADS,
        durationSec: DURATION,
        warmupSec: WARMUP,
      });
      const list = results.get(p.cell.key) ?? [];
      list.push(r);
      results.set(p.cell.key, list);
      log(`  ${p.cell.key}: ${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.cpuUs.toFixed(1)} µs CPU/req${p.server.sidePids.length ? ` (+${r.sideCpuUs.toFixed(1)} Redis)` : ''}`);
    }
    loads.push(load());
  }
  for (const s of running.values()) await s.stop();

  const rss = scenarios.has('rss') && RSS_TOKENS > 0 ? await rssPhase() : undefined;
  const header = [
    '',
    `${ROUNDS} interleaved rounds of wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s after a ${WARMUP}s warm-up; ${navigator.hardwareConcurrency} CPUs, ` +
      `${serverPin.length ? 'each server pinned to the last, wrk to the first' : 'NOT pinned'}; gateway ${useBinary ? 'dist/zitauth' : 'from source'}; Bun ${Bun.version}` +
      `${nodeVersion ? `; Node ${nodeVersion}` : ''}. Figures: medians over the rounds; ratios: median of per-round ratios.`,
    `Load average (1/5/15 min) at the start ${loadStart}; after each round ${loads.join(' | ')}; at the end ${load()}.`,
    ...notes,
  ];
  console.log(renderReport({ header, cells, results, rss }));
  if (process.env.BENCH_JSON) {
    writeFileSync(process.env.BENCH_JSON, JSON.stringify({ header, scenarios: [...scenarios], cells, results: Object.fromEntries(results), rss }, null, 1));
    log(`every round's figures: ${process.env.BENCH_JSON}`);
  }
}

async function rssPhase(): Promise<RssResult> {
  const iss = startBenchIssuer();
  cleanups.push(() => iss.stop());
  const gw = await startGateway(work, {
    ZITADEL_DOMAIN: iss.issuer,
    ZITADEL_CLIENT_ID: iss.clientId,
    ZITAUTH_PROJECT_ID: iss.projectId,
    ZITAUTH_ALLOWED_ALGS: 'EdDSA',
    ZITAUTH_CACHE_SIZE: String(RSS_CACHE),
  });
  cleanups.push(() => stopChild(gw.proc));
  const url = `${gw.url}/api/v1/validate`;
  const first = await fetch(url, { headers: { authorization: `Bearer ${iss.mint(0)}` } });
  await first.arrayBuffer();
  if (first.status !== 200) throw new Error(`RSS gateway /validate answered ${first.status}`);
  const idle = rssMiB(gw.pid);
  const warmCount = Math.min(RSS_TOKENS, 2 * RSS_CACHE);
  let bad = await sendDistinct(url, iss, 1, warmCount);
  const warm = rssMiB(gw.pid);
  const samples = [{ tokens: warmCount, rss: warm }];
  const started = performance.now();
  const step = Math.max(warmCount, Math.ceil(RSS_TOKENS / 10));
  for (let sent = warmCount; sent < RSS_TOKENS; ) {
    const to = Math.min(RSS_TOKENS, sent + step);
    bad += await sendDistinct(url, iss, sent, to);
    sent = to;
    samples.push({ tokens: sent, rss: rssMiB(gw.pid) });
    log(`RSS: ${sent} distinct tokens, VmRSS ${samples.at(-1)!.rss.toFixed(1)} MiB`);
  }
  const seconds = (performance.now() - started) / 1000;
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  const entries = Number(/^zitauth_validate_cache_entries (\d+)/m.exec(metrics)?.[1] ?? NaN);
  await stopChild(gw.proc);
  iss.stop();
  return {
    tokens: samples.at(-1)!.tokens,
    cacheSize: RSS_CACHE,
    idle,
    warm,
    final: samples.at(-1)!.rss,
    max: Math.max(...samples.map((s) => s.rss)),
    samples,
    bad,
    entries,
    tokensPerSec: (samples.at(-1)!.tokens - warmCount) / seconds,
  };
}

let code = 0;
try {
  await main();
} catch (err) {
  if (err instanceof Refused) console.error(`[bench] ${err.message}`);
  else console.error(err);
  code = 1;
} finally {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
}
process.exit(code);

