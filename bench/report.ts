/**
 * The verdict of `bun run bench`: the table of every measured cell (medians over the rounds), the
 * targets of issue 12 with PASS/FAIL, the gateway against its peers, and the session-store
 * ratios. Every ratio is the median of per-round ratios: the two sides of a ratio ran minutes
 * apart at most, in the same round, so a slow phase of the host moves both.
 */
import { SCENARIOS, type Cell, type ScenarioId } from './scenarios.ts';
import { median, type MeasuredRun } from './wrk.ts';

export type Results = Map<string, MeasuredRun[]>;

export interface RssResult {
  tokens: number;
  cacheSize: number;
  idle: number;
  warm: number;
  final: number;
  max: number;
  samples: { tokens: number; rss: number }[];
  bad: number;
  entries: number;
  tokensPerSec: number;
}

interface Verdict {
  name: string;
  /** The median ratio and the per-round ones, or undefined when a side was not run. */
  value: number | undefined;
  rounds: number[];
  ok: boolean | undefined;
  note?: string;
}

const fmtRatio = (x: number) => `${x.toFixed(2)} ×`;
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');

/** Per-round ratio f(a)/f(b) over the rounds both ran; its median. */
function paired(results: Results, a: string, b: string | string[], f: (x: MeasuredRun) => number): { value: number | undefined; rounds: number[] } {
  const ra = results.get(a);
  const bs = (Array.isArray(b) ? b : [b]).map((k) => results.get(k));
  if (!ra || bs.some((x) => !x)) return { value: undefined, rounds: [] };
  // Against several: the best (highest f) of them in that round.
  const rounds = ra.map((x, i) => f(x) / Math.max(...bs.map((rb) => f(rb![i]!))));
  return { value: median(rounds), rounds };
}

const verdict = (name: string, r: { value: number | undefined; rounds: number[] }, ok: (x: number) => boolean, note?: string): Verdict => ({
  name,
  ...r,
  ok: r.value === undefined ? undefined : ok(r.value),
  ...(note ? { note } : {}),
});

const rps = (x: MeasuredRun) => x.rps;
const cpu = (x: MeasuredRun) => x.cpuUs;
const p99 = (x: MeasuredRun) => x.p99;

/** The gateway cell each scenario is judged by. */
const GATEWAY_CELL: Partial<Record<ScenarioId, string>> = {
  repeated: 'repeated/gwAll',
  pool: 'pool/gwAll',
  cold: 'cold/gwCold',
  junk: 'junk/gwAll',
  'forward-auth': 'forward-auth/gwAll/forward-auth',
};

/** Bounded = RSS does not grow with the tokens seen: second-half median ≤ 1.1 × first-half median. */
function rssBounded(rss: RssResult): { ok: boolean; firstHalf: number; secondHalf: number } {
  // Single samples swing with the GC (a sample can catch the heap right before a collection);
  // growth with the token count shows up as a higher second-half median, GC noise does not.
  const half = 1 + Math.floor((rss.samples.length - 1) / 2);
  const firstHalf = median(rss.samples.slice(0, half).map((s) => s.rss));
  const secondHalf = median(rss.samples.slice(half).map((s) => s.rss));
  return { ok: secondHalf <= firstHalf * 1.1, firstHalf, secondHalf };
}

function targets(results: Results, rss: RssResult | undefined): Verdict[] {
  const v: Verdict[] = [
    verdict('repeated token, default access log: CPU/req ≤ 1.25 × floor', paired(results, 'repeated/gwAll', 'repeated/floor', cpu), (x) => x <= 1.25),
    verdict('repeated token, ZITAUTH_ACCESS_LOG=errors: CPU/req ≤ 1.15 × floor', paired(results, 'repeated/gwErrors', 'repeated/floor', cpu), (x) => x <= 1.15),
    verdict('cold (cache off, distinct tokens): req/s ≥ 2 × bare Bun + jose', paired(results, 'cold/gwCold', 'cold/jose', rps), (x) => x >= 2),
    verdict(
      'pool of 5,000: req/s ≥ 5 × the faster of Fastify and Hono',
      paired(results, 'pool/gwAll', ['pool/fastify', 'pool/hono'].filter((k) => results.has(k)), rps),
      (x) => x >= 5,
    ),
    verdict('/forward-auth CPU/req within 10 % of /validate (repeated token)', paired(results, 'forward-auth/gwAll/forward-auth', 'repeated/gwAll', cpu), (x) => Math.abs(x - 1) <= 0.1),
  ];
  for (const [scenario, key] of Object.entries(GATEWAY_CELL)) {
    for (const k of [key, ...(scenario === 'repeated' || scenario === 'pool' ? [`${scenario}/gwErrors`] : [])]) {
      if (!results.has(k)) continue;
      v.push(verdict(`p99 ≤ 2 × floor p99: ${k}`, paired(results, k, 'repeated/floor', p99), (x) => x <= 2));
    }
  }
  if (rss) {
    const b = rssBounded(rss);
    v.push({
      name: `RSS after ${fmtInt(rss.tokens)} distinct tokens bounded by the cache (${fmtInt(rss.cacheSize)})`,
      value: b.secondHalf / b.firstHalf,
      rounds: [],
      ok: b.ok,
      note: `${rss.final.toFixed(0)} MiB at the end; median first half ${b.firstHalf.toFixed(0)}, second half ${b.secondHalf.toFixed(0)}, peak ${rss.max.toFixed(0)} MiB`,
    });
  }
  return v;
}

/** Median of each figure over the rounds. */
function medianRun(xs: MeasuredRun[]): MeasuredRun {
  const m = (f: (x: MeasuredRun) => number) => median(xs.map(f));
  return {
    ...xs[0]!,
    rps: m(rps),
    p50: m((x) => x.p50),
    p90: m((x) => x.p90),
    p99: m(p99),
    max: m((x) => x.max),
    cpuUs: m(cpu),
    sideCpuUs: m((x) => x.sideCpuUs),
    requests: xs.reduce((a, x) => a + x.requests, 0),
    non2xx: xs.reduce((a, x) => a + x.non2xx, 0),
    socketErrors: xs.reduce((a, x) => a + x.socketErrors, 0),
  };
}

/** Answers with another status than the cell expects, over all rounds (wrk counts ≥ 400 as errors). */
const wrongStatus = (c: Cell, xs: MeasuredRun[]) => xs.reduce((a, x) => a + (c.status === 200 ? x.non2xx : x.requests - x.non2xx) + x.socketErrors, 0);

export function renderReport(o: { header: string[]; cells: Cell[]; results: Results; rss: RssResult | undefined }): string {
  const { cells, results, rss } = o;
  const lines = [...o.header, ''];
  lines.push('| Scenario | Server | req/s | p50 ms | p99 ms | server CPU µs/req | CPU × floor | wrong status |', '|---|---|---:|---:|---:|---:|---:|---:|');
  for (const c of cells) {
    const xs = results.get(c.key);
    if (!xs?.length) continue;
    const r = medianRun(xs);
    const vsFloor = paired(results, c.key, 'repeated/floor', cpu).value;
    const cpuText = `${r.cpuUs.toFixed(1)}${c.server === 'gwSessionRedis' ? ` (+${r.sideCpuUs.toFixed(1)} Redis)` : ''}`;
    lines.push(
      `| ${c.scenario} | ${c.label} | ${fmtInt(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${cpuText} | ${vsFloor === undefined ? '' : fmtRatio(vsFloor)} | ${wrongStatus(c, xs)} |`,
    );
  }

  lines.push('', '| Target (median of per-round ratios) | measured | rounds | result |', '|---|---:|---|---|');
  for (const t of targets(results, rss)) {
    const measured = t.value === undefined ? 'not run' : fmtRatio(t.value);
    const result = t.ok === undefined ? '' : t.ok ? 'PASS' : 'FAIL';
    lines.push(`| ${t.name} | ${measured} | ${t.rounds.map((x) => x.toFixed(2)).join(', ')}${t.note ? ` ${t.note}` : ''} | ${result} |`);
  }

  // The gateway against each peer, scenario by scenario (req/s and CPU per request).
  const peers = [
    ['minimal', 'least possible (bare Bun + Map + node:crypto)'],
    ['jose', 'bare Bun + jose'],
    ['fastify', 'Fastify'],
    ['hono', 'Hono'],
  ] as const;
  const peerRows: string[] = [];
  for (const [scenario, gw] of Object.entries(GATEWAY_CELL)) {
    if (scenario === 'forward-auth' || !results.has(gw)) continue;
    const cellsOf = (peer: string) => (scenario === 'cold' && (peer === 'fastify' || peer === 'minimal') ? `cold/${peer}Cold` : `${scenario}/${peer}`);
    const cols = peers.map(([p]) => {
      const r = paired(results, gw, cellsOf(p), rps).value;
      const c = paired(results, cellsOf(p), gw, cpu).value;
      return r === undefined || c === undefined ? '—' : `${fmtRatio(r)} / ${fmtRatio(c)}`;
    });
    peerRows.push(`| ${scenario} (${gw.split('/')[1]}) | ${cols.join(' | ')} |`);
  }
  if (peerRows.length) {
    lines.push('', `| zitauth ÷ peer: req/s / (peer CPU ÷ zitauth CPU) | ${peers.map(([, n]) => n).join(' | ')} |`, `|---|${peers.map(() => '---:').join('|')}|`, ...peerRows);
  }

  const bearer = 'forward-auth/gwAll/forward-auth';
  const sessionCells = cells.filter((c) => c.scenario === 'session' && results.has(c.key));
  if (sessionCells.length && results.has(bearer)) {
    lines.push('', '| Session cookie vs bearer-token /forward-auth (same run) | CPU × bearer | req/s × bearer | p99 × bearer |', '|---|---:|---:|---:|');
    for (const c of sessionCells) {
      const f = (g: (x: MeasuredRun) => number) => fmtRatio(paired(results, c.key, bearer, g).value!);
      lines.push(`| ${c.label} | ${f(cpu)} | ${f(rps)} | ${f(p99)} |`);
    }
    if (results.has('session/gwSessionRedis/forward-auth')) {
      lines.push('', 'Redis CPU is not in the gateway\u2019s figure; the "+ Redis" column above adds it (redis-server on the same core).');
    }
  }

  if (rss) {
    const perEntryKiB = ((rss.warm - rss.idle) * 1024) / rss.cacheSize;
    lines.push(
      '',
      `RSS: idle ${rss.idle.toFixed(1)} MiB → ${fmtInt(rss.samples[0]!.tokens)} tokens (cache full) ${rss.warm.toFixed(1)} MiB → ` +
        rss.samples.slice(1).map((s) => `${s.tokens / 1000}k ${s.rss.toFixed(0)}`).join(', ') +
        ` MiB. Cache entries at the end: ${rss.entries}; ~${perEntryKiB.toFixed(1)} KiB RSS per cached token (incl. GC slack);` +
        ` ${rss.bad} non-200; ${fmtInt(rss.tokensPerSec)} tokens/s (Ed25519, Bun fetch client).`,
    );
  }
  lines.push('', `Scenarios: ${Object.entries(SCENARIOS).map(([k, d]) => `${k} = ${d}`).join('; ')}.`);
  return lines.join('\n');
}
