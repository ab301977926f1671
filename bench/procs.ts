/** Process helpers of `bun run bench`: spawn a child that announces itself, wait for HTTP, read RSS. */
import { readFileSync } from 'node:fs';
import type { Subprocess } from 'bun';

/** A running child process with the JSON it printed first. */
export interface Child<T> {
  proc: Subprocess<'pipe', 'pipe', 'inherit'>;
  info: T;
  stop(): Promise<void>;
}

/**
 * Spawns `cmd` and resolves with the first stdout line parsed as JSON. Stdin stays open as a
 * lifeline: children that watch it exit when the bench does, even if it is killed.
 */
export async function spawnAnnounced<T>(cmd: string[], env: Record<string, string>, cwd?: string): Promise<Child<T>> {
  const proc = Bun.spawn([...serverPin, ...cmd], { env: { ...process.env, ...env }, cwd, stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' });
  const reader = proc.stdout.getReader();
  let buf = '';
  const dec = new TextDecoder();
  while (!buf.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${cmd.join(' ')} exited before announcing itself`);
    buf += dec.decode(value, { stream: true });
  }
  reader.releaseLock();
  // Keep draining so the child never blocks on a full pipe.
  void proc.stdout.pipeTo(new WritableStream()).catch(() => {});
  const info = JSON.parse(buf.slice(0, buf.indexOf('\n'))) as T;
  return { proc, info, stop: () => stopChild(proc) };
}

/** Closes stdin, then SIGTERM, and waits for the exit. */
export async function stopChild(proc: Subprocess): Promise<void> {
  try {
    (proc.stdin as { end?: () => void } | undefined)?.end?.();
  } catch {}
  proc.kill('SIGTERM');
  await Promise.race([proc.exited, Bun.sleep(3000).then(() => proc.kill('SIGKILL'))]);
}

/** Polls `url` until it answers 2xx (or throws after `timeoutMs`). */
export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    if (Date.now() > until) throw new Error(`${url} did not come up within ${timeoutMs} ms`);
    await Bun.sleep(100);
  }
}

const TICK_US = 1e6 / Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim() || 100);

/** CPU time used so far by `pid` (utime + stime, fields 14 and 15 of /proc/PID/stat), in µs. */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** Resident set size of `pid` in MiB (VmRSS from /proc). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A free loopback port (bound, then released). */
export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

/**
 * CPU pinning: servers on the last core, the load generator on the first. On a 2-core VM an
 * unpinned server shares a core with wrk about half of the time, which doubles its CPU cost per
 * request and made runs swing ±30%. Pinned, repeated runs agree within a few percent.
 * Empty when taskset is missing or there is only one core (then nothing is pinned).
 */
const CORES = navigator.hardwareConcurrency;
const TASKSET = Bun.which('taskset');
export const serverPin: string[] = TASKSET && CORES >= 2 && !process.env.BENCH_NO_PIN ? [TASKSET, '-c', String(CORES - 1)] : [];
export const loadPin: string[] = serverPin.length ? [TASKSET!, '-c', '0'] : [];
