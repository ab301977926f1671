/**
 * `bun run bench`: /validate at the speed limit. One run, loopback only, stops by itself (~5 min).
 *
 * 1. bench/idp.ts (child): the dev IdP; mints one repeated token and a file of distinct tokens.
 * 2. The gateway under test: dist/zitauth when built (else `bun src/main.ts serve`), logging at
 *    info to /dev/null, with a cache far smaller than the distinct-token file so those are all misses.
 * 3. Baselines: bench/baseline-json.ts (bare Bun.serve, fixed JSON) and bench/baseline-jose.ts
 *    (bare Bun.serve + jose RS256 verification per request).
 * 4. wrk, same threads/connections/duration for every scenario, each after a warm-up.
 * 5. RSS: a second gateway (default cache size) fed BENCH_RSS_TOKENS distinct valid tokens from a
 *    bench-local Ed25519 issuer (see bench/rss.ts); VmRSS is sampled as they go.
 *
 * Knobs (environment): BENCH_ROUNDS (3), BENCH_DURATION (s, 8), BENCH_WARMUP (s, 3), BENCH_CONNECTIONS (50),
 * BENCH_THREADS (1), BENCH_DISTINCT (tokens, 20000), BENCH_DISTINCT_CACHE (1000),
 * BENCH_RSS_TOKENS (1000000; 0 skips), BENCH_RSS_CACHE (10000), BENCH_GATEWAY (binary|source),
 * BENCH_LOG_LEVEL (info; the gateway's log level, for experiments only).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssMiB, serverPin, spawnAnnounced, stopChild, type Child } from './procs.ts';
import { BINARY, startGateway as startGatewayIn, useBinary } from './gateway.ts';
import { median, runWrkMeasured, type MeasuredRun } from './wrk.ts';
import { sendDistinct, startBenchIssuer } from './rss.ts';

const num = (name: string, def: number) => (process.env[name] ? Number(process.env[name]) : def);
const DURATION = num('BENCH_DURATION', 8);
const ROUNDS = num('BENCH_ROUNDS', 3);
const WARMUP = num('BENCH_WARMUP', 3);
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const THREADS = num('BENCH_THREADS', 1);
const DISTINCT = num('BENCH_DISTINCT', 20_000);
const DISTINCT_CACHE = num('BENCH_DISTINCT_CACHE', 1_000);
const RSS_TOKENS = num('BENCH_RSS_TOKENS', 1_000_000);
const RSS_CACHE = num('BENCH_RSS_CACHE', 10_000);

const work = mkdtempSync(join(tmpdir(), 'zitauth-bench-'));
const cleanups: (() => Promise<void> | void)[] = [() => rmSync(work, { recursive: true, force: true })];
const log = (s: string) => console.error(`[bench] ${s}`);

interface IdpInfo {
  issuer: string;
  clientId: string;
  projectId: string;
  jwksUri: string;
  token: string;
  tokensFile: string;
  count: number;
  mintMs: number;
}

/** Starts a gateway (see bench/gateway.ts) that the bench stops when it ends. */
async function startGateway(env: Record<string, string>) {
  const gw = await startGatewayIn(work, env);
  cleanups.push(() => stopChild(gw.proc));
  return gw;
}

/**
 * Warm-up run (discarded), then the measured run. The server's CPU time per request (from /proc)
 * is recorded as well: it shows the server's own cost apart from time the VM loses elsewhere.
 */
async function measure(name: string, o: { url: string; pid: number; token?: string; tokensFile?: string }): Promise<MeasuredRun> {
  const r = await runWrkMeasured({ ...o, connections: CONNECTIONS, threads: THREADS, durationSec: DURATION, warmupSec: WARMUP });
  log(`${name}: ${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.cpuUs.toFixed(1)} µs CPU/request, non-2xx ${r.non2xx}, socket errors ${r.socketErrors}`);
  return r;
}

async function expectStatus(url: string, token: string, status: number, what: string) {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status}`);
}

function junkTokens(n: number): string {
  // JWT-shaped (passes the cheap shape checks) but undecodable: each one reaches jose and the
  // negative cache, the worst junk an attacker can send without a valid signature.
  const seg = (len: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(len))).toString('base64url');
  return Array.from({ length: n }, () => `${seg(40)}.${seg(400)}.${seg(256)}`).join('\n') + '\n';
}

async function main() {
  log(`gateway: ${useBinary ? BINARY : 'bun src/main.ts serve (no dist/zitauth; run `bun run build`)'}`);
  log(`wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s (+${WARMUP}s warm-up) per scenario; ${navigator.hardwareConcurrency} CPUs; ${serverPin.length ? `servers pinned to CPU ${navigator.hardwareConcurrency - 1}, wrk to CPU 0` : 'no CPU pinning'}`);

  const idp: Child<IdpInfo> = await spawnAnnounced([process.execPath, join(import.meta.dir, 'idp.ts')], {
    BENCH_DISTINCT: String(DISTINCT),
    BENCH_OUT: work,
  });
  cleanups.push(() => idp.stop());
  const I = idp.info;
  log(`dev IdP ${I.issuer}: minted ${I.count} RS256 tokens in ${I.mintMs} ms (${((I.mintMs / I.count) * 1000).toFixed(0)} µs each)`);
  const claims = JSON.parse(Buffer.from(I.token.split('.')[1]!, 'base64url').toString());

  const gw = await startGateway({
    ZITADEL_DOMAIN: I.issuer,
    ZITADEL_CLIENT_ID: I.clientId,
    ZITAUTH_PROJECT_ID: I.projectId,
    ZITAUTH_CACHE_SIZE: String(DISTINCT_CACHE),
  });
  const json = await spawnAnnounced<{ port: number }>([process.execPath, join(import.meta.dir, 'baseline-json.ts')], {
    BENCH_CLAIMS: JSON.stringify(claims),
  });
  cleanups.push(() => json.stop());
  const jose = await spawnAnnounced<{ port: number }>([process.execPath, join(import.meta.dir, 'baseline-jose.ts')], {
    BENCH_JWKS_URI: I.jwksUri,
    BENCH_ISSUER: I.issuer,
    BENCH_AUDIENCE: I.projectId,
  });
  cleanups.push(() => jose.stop());
  const junkFile = join(work, 'junk-tokens.txt');
  writeFileSync(junkFile, junkTokens(DISTINCT));

  const validate = `${gw.url}/api/v1/validate`;
  const joseUrl = `http://127.0.0.1:${jose.info.port}/`;
  await expectStatus(validate, I.token, 200, 'gateway /validate');
  await expectStatus(joseUrl, I.token, 200, 'jose baseline');

  // Each target compares the gateway with its baseline measured right before it, ROUNDS times:
  // on a shared VM throughput drifts by ±30% within minutes, so single runs of each scenario,
  // minutes apart, compare the machine's moods rather than the servers. Medians are reported.
  const rounds: Rounds = { json: [], repeated: [], jose: [], distinct: [] };
  for (let i = 1; i <= ROUNDS; i++) {
    log(`round ${i}/${ROUNDS}`);
    rounds.json.push(await measure('bare Bun.serve JSON', { url: `http://127.0.0.1:${json.info.port}/`, pid: json.proc.pid, token: I.token }));
    rounds.repeated.push(await measure('gateway /validate, repeated token', { url: validate, pid: gw.pid, token: I.token }));
    rounds.jose.push(await measure('bare Bun + jose, distinct tokens', { url: joseUrl, pid: jose.proc.pid, tokensFile: I.tokensFile }));
    rounds.distinct.push(await measure('gateway /validate, distinct tokens', { url: validate, pid: gw.pid, tokensFile: I.tokensFile }));
  }
  const junk = await measure('gateway /validate, junk tokens', { url: validate, pid: gw.pid, tokensFile: junkFile });
  const rssAfterWrk = rssMiB(gw.pid);
  await stopChild(gw.proc);
  await json.stop();
  await jose.stop();

  const rss = RSS_TOKENS > 0 ? await rssPhase() : undefined;
  report(rounds, junk, rssAfterWrk, I, rss);
}

async function rssPhase() {
  const iss = startBenchIssuer();
  cleanups.push(() => iss.stop());
  const gw = await startGateway({
    ZITADEL_DOMAIN: iss.issuer,
    ZITADEL_CLIENT_ID: iss.clientId,
    ZITAUTH_PROJECT_ID: iss.projectId,
    ZITAUTH_ALLOWED_ALGS: 'EdDSA',
    ZITAUTH_CACHE_SIZE: String(RSS_CACHE),
  });
  const url = `${gw.url}/api/v1/validate`;
  await expectStatus(url, iss.mint(0), 200, 'RSS gateway /validate');
  const idle = rssMiB(gw.pid);
  const warmCount = Math.min(RSS_TOKENS, 2 * RSS_CACHE);
  let bad = await sendDistinct(url, iss, 1, warmCount);
  const warm = rssMiB(gw.pid);
  const samples: { tokens: number; rss: number }[] = [{ tokens: warmCount, rss: warm }];
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
  return { idle, warm, samples, bad, seconds, entries, final: samples.at(-1)!.rss, max: Math.max(...samples.map((s) => s.rss)) };
}

type Rounds = Record<'json' | 'jose' | 'repeated' | 'distinct', MeasuredRun[]>;

/** The median of each figure over the rounds (for the table). */
const medianResult = (xs: MeasuredRun[]): MeasuredRun => ({
  ...xs[0]!,
  rps: median(xs.map((x) => x.rps)),
  cpuUs: median(xs.map((x) => x.cpuUs)),
  p50: median(xs.map((x) => x.p50)),
  p99: median(xs.map((x) => x.p99)),
  non2xx: xs.reduce((a, x) => a + x.non2xx, 0),
});
/** The median over rounds of gateway/baseline, each round's pair measured back to back. */
const pairedRatio = (gw: MeasuredRun[], base: MeasuredRun[], f: (x: MeasuredRun) => number) => median(gw.map((g, i) => f(g) / f(base[i]!)));

function report(rounds: Rounds, junk: MeasuredRun, rssAfterWrk: number, I: IdpInfo, rss: Awaited<ReturnType<typeof rssPhase>> | undefined) {
  const r = {
    json: medianResult(rounds.json),
    jose: medianResult(rounds.jose),
    repeated: medianResult(rounds.repeated),
    distinct: medianResult(rounds.distinct),
    junk,
  };
  const ratio = {
    repeated: pairedRatio(rounds.repeated, rounds.json, (x) => x.rps),
    distinct: pairedRatio(rounds.distinct, rounds.jose, (x) => x.rps),
    repeatedP99: pairedRatio(rounds.repeated, rounds.json, (x) => x.p99),
    distinctP99: pairedRatio(rounds.distinct, rounds.jose, (x) => x.p99),
    // Baseline CPU / gateway CPU per request: the throughput ratio the CPU cost alone predicts.
    repeatedCpu: 1 / pairedRatio(rounds.repeated, rounds.json, (x) => x.cpuUs),
    distinctCpu: 1 / pairedRatio(rounds.distinct, rounds.jose, (x) => x.cpuUs),
  };
  const row = (name: string, x: MeasuredRun) =>
    `| ${name} | ${Math.round(x.rps).toLocaleString('en-US')} | ${x.p50.toFixed(2)} | ${x.p99.toFixed(2)} | ${x.cpuUs.toFixed(1)} | ${x.non2xx} |`;
  const lines = [
    '',
    `wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s after a ${WARMUP}s warm-up, ${ROUNDS} interleaved rounds (medians; ratios = median of back-to-back pairs); ${navigator.hardwareConcurrency} CPUs; gateway ${useBinary ? 'dist/zitauth' : 'from source'}; Bun ${Bun.version}`,
    '',
    '| Server / scenario | req/s | p50 ms | p99 ms | server CPU µs/req | non-2xx |',
    '|---|---:|---:|---:|---:|---:|',
    row('bare Bun.serve, fixed JSON', r.json),
    row('bare Bun + jose RS256, distinct tokens', r.jose),
    row('zitauth /validate, repeated token', r.repeated),
    row(`zitauth /validate, ${I.count} distinct tokens (cache ${DISTINCT_CACHE}: all misses)`, r.distinct),
    row('zitauth /validate, junk tokens (401, info)', r.junk),
    '',
  ];
  const targets = [
    { name: 'repeated-token req/s ≥ 0.70 × bare JSON', value: ratio.repeated, ok: ratio.repeated >= 0.7, fmt: 'ratio' },
    { name: 'distinct-token req/s ≥ 0.90 × bare Bun + jose', value: ratio.distinct, ok: ratio.distinct >= 0.9, fmt: 'ratio' },
    { name: 'repeated-token p99 ≤ 2 × bare JSON p99', value: ratio.repeatedP99, ok: ratio.repeatedP99 <= 2, fmt: 'ratio' },
    { name: 'distinct-token p99 ≤ 2 × bare Bun + jose p99', value: ratio.distinctP99, ok: ratio.distinctP99 <= 2, fmt: 'ratio' },
  ];
  lines.push('| Target | measured | result |', '|---|---:|---|');
  for (const t of targets) lines.push(`| ${t.name} | ${t.value.toFixed(2)} × | ${t.ok ? 'PASS' : 'FAIL'} |`);
  // For information, not a verdict: the targets are in req/s.
  lines.push(
    `| (info) the same two ratios from server CPU per request | ${ratio.repeatedCpu.toFixed(2)} × / ${ratio.distinctCpu.toFixed(2)} × | |`,
  );
  if (rss) {
    // Bounded = RSS does not grow with the number of tokens seen. Single samples swing with the
    // GC (a sample can catch the heap right before a collection), so the verdict compares the
    // median of the second half of the run with the median of the first half: growth with the
    // token count shows up as a higher second-half median; GC noise does not.
    const half = 1 + Math.floor((rss.samples.length - 1) / 2);
    const firstHalf = median(rss.samples.slice(0, half).map((s) => s.rss));
    const secondHalf = median(rss.samples.slice(half).map((s) => s.rss));
    const bounded = secondHalf <= firstHalf * 1.1;
    const perEntryKiB = ((rss.warm - rss.idle) * 1024) / RSS_CACHE;
    lines.push(
      `| RSS after ${rss.samples.at(-1)!.tokens.toLocaleString('en-US')} distinct tokens bounded by cache (${RSS_CACHE}) | ${rss.final.toFixed(0)} MiB (median first half ${firstHalf.toFixed(0)}, second half ${secondHalf.toFixed(0)}, peak ${rss.max.toFixed(0)}) | ${bounded ? 'PASS' : 'FAIL'} |`,
      '',
      `RSS: idle ${rss.idle.toFixed(1)} MiB → ${rss.samples[0]!.tokens} tokens (cache full) ${rss.warm.toFixed(1)} MiB → ` +
        rss.samples.slice(1).map((s) => `${s.tokens / 1000}k ${s.rss.toFixed(0)}`).join(', ') +
        ` MiB. Cache entries at the end: ${rss.entries}; ~${perEntryKiB.toFixed(1)} KiB RSS per cached token (incl. GC slack);` +
        ` ${rss.bad} non-200; ${Math.round((rss.samples.at(-1)!.tokens - rss.samples[0]!.tokens) / rss.seconds)} tokens/s (Ed25519, Bun fetch client).`,
    );
  }
  lines.push('', `Gateway RSS after the wrk scenarios (cache ${DISTINCT_CACHE}): ${rssAfterWrk.toFixed(1)} MiB.`);
  console.log(lines.join('\n'));
}

let code = 0;
try {
  await main();
} catch (err) {
  console.error(err);
  code = 1;
} finally {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
}
process.exit(code);
