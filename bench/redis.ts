/**
 * The Redis of the session-store scenarios: Debian's `redis-server` on a free loopback port, no
 * persistence, pinned to the servers' core (so the gateway and its store share one core, and wrk
 * keeps the other). Its CPU per request is reported beside the gateway's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, serverPin, stopChild } from './procs.ts';

export interface BenchRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  const bin = Bun.which('redis-server');
  if (!bin) throw new Error('redis-server is not installed (Debian: apt-get install redis-server); or leave "session" out of BENCH_SCENARIOS');
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), 'zitauth-bench-redis-'));
  const proc = Bun.spawn([...serverPin, bin, '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'inherit',
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
    try {
      const s = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
      s.end();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await Bun.sleep(20);
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: proc.pid,
    async stop() {
      await stopChild(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
