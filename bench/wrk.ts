/** Runs wrk with bench/lua/validate.lua and parses the JSON line its done() prints. */
import { join } from 'node:path';
import { cpuMicros, loadPin } from './procs.ts';

/** One measured wrk run. Latencies in milliseconds. */
export interface WrkResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  /** Responses outside 2xx/3xx. */
  non2xx: number;
  /** Socket errors (connect, read, write, timeout). */
  socketErrors: number;
}

export interface WrkOptions {
  url: string;
  token?: string;
  tokensFile?: string;
  /** A Cookie header to send instead of a bearer token (session mode). */
  cookie?: string;
  durationSec: number;
  connections: number;
  threads: number;
}

const SCRIPT = join(import.meta.dir, 'lua', 'validate.lua');

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const u = new URL(o.url);
  const proc = Bun.spawn(
    [...loadPin, 'wrk', `-t${o.threads}`, `-c${o.connections}`, `-d${o.durationSec}s`, '--latency', '-s', SCRIPT, `${u.origin}`],
    {
      env: { ...process.env, BENCH_PATH: u.pathname + u.search, BENCH_TOKEN: o.token ?? '', BENCH_TOKENS_FILE: o.tokensFile ?? '', BENCH_COOKIE: o.cookie ?? '' },
      stdout: 'pipe',
      stderr: 'pipe',
    },
  );
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no result:\n${out}\n${err}`);
  const j = JSON.parse(line.slice('BENCH_JSON '.length));
  return {
    rps: j.requests / j.seconds,
    p50: j.p50_us / 1000,
    p90: j.p90_us / 1000,
    p99: j.p99_us / 1000,
    max: j.max_us / 1000,
    requests: j.requests,
    non2xx: j.non2xx,
    socketErrors: j.connect + j.read + j.write + j.timeout,
  };
}

/**
 * A measured run plus the server's CPU time (utime + stime) per request during it, in µs, and
 * that of the helper processes it relies on (`sidePids`, e.g. Redis), summed.
 */
export type MeasuredRun = WrkResult & { cpuUs: number; sideCpuUs: number };

/**
 * A discarded warm-up run of `warmupSec` (none when 0), then the measured run, with the CPU time
 * that process `pid` (and `sidePids`) spent on it per request.
 */
export async function runWrkMeasured(o: WrkOptions & { pid: number; warmupSec: number; sidePids?: number[] }): Promise<MeasuredRun> {
  if (o.warmupSec > 0) await runWrk({ ...o, durationSec: o.warmupSec });
  const side = () => (o.sidePids ?? []).reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const before = cpuMicros(o.pid);
  const sideBefore = side();
  const r = await runWrk(o);
  const n = Math.max(1, r.requests);
  return { ...r, cpuUs: (cpuMicros(o.pid) - before) / n, sideCpuUs: (side() - sideBefore) / n };
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
