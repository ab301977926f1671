/**
 * A real `redis-server` for tests (Debian package `redis-server`): on a free loopback port, no
 * persistence (`--save '' --appendonly no`, a temporary working directory), stoppable and
 * restartable on the same port (outage tests), pausable with SIGSTOP (a hung server).
 */
import { RedisClient, type Subprocess } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './stack.ts';
import { systemTool } from './system-tool.ts';

/** True when redis-server is installed; otherwise the test file skips with a notice (fails in CI). */
export function haveRedis(testFile: string): boolean {
  return systemTool('redis-server', 'redis-server', testFile);
}

export interface RedisServerOptions {
  /** `requirepass` for the default user. */
  password?: string;
  /** Serve TLS only (`--port 0 --tls-port`), with these PEM files. */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** More redis-server arguments, e.g. `['--aclfile', path]`. */
  args?: readonly string[];
}

export interface RedisServer {
  readonly port: number;
  /** `redis://[:password@]127.0.0.1:port` (`rediss://` with TLS). */
  readonly url: string;
  /** A plain client of the same server, for looking behind the store (PTTL, TYPE, SCAN). */
  raw(): Promise<RedisClient>;
  /** Stops the server (SIGTERM; SIGKILL when paused) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was persisted). */
  start(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Stops the server for good, closes the raw clients, removes its directory. */
  close(): Promise<void>;
}

const live = new Set<Subprocess>();
// A test file that crashes must not leave a server behind.
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export async function startRedis(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), 'zitauth-redis-'));
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', '--logfile', join(dir, 'redis.log')];
  if (opts.tls) {
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.certFile, '--tls-key-file', opts.tls.keyFile, '--tls-ca-cert-file', opts.tls.caFile, '--tls-auth-clients', 'no');
  } else args.push('--port', String(port));
  if (opts.password !== undefined) args.push('--requirepass', opts.password);
  if (opts.args !== undefined) args.push(...opts.args);
  const scheme = opts.tls ? 'rediss' : 'redis';
  const auth = opts.password === undefined ? '' : `:${encodeURIComponent(opts.password)}@`;
  const url = `${scheme}://${auth}127.0.0.1:${port}`;
  const raws: RedisClient[] = [];
  let proc: Subprocess | undefined;
  let paused = false;

  const start = async () => {
    const p = Bun.spawn(['redis-server', ...args], { stdout: 'ignore', stderr: 'pipe' });
    proc = p;
    live.add(p);
    void p.exited.then(() => live.delete(p));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (p.exitCode !== null) {
        const out = (await new Response(p.stderr).text()) + (await Bun.file(join(dir, 'redis.log')).text().catch(() => ''));
        throw new Error(`redis-server on port ${port} exited (${p.exitCode}): ${out.slice(-500)}`);
      }
      if (await accepts(port)) return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await Bun.sleep(20);
    }
  };

  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    p.kill(paused ? 'SIGKILL' : 'SIGTERM');
    paused = false;
    await p.exited;
  };

  await start();
  return {
    port,
    url,
    async raw() {
      const c = new RedisClient(url, { autoReconnect: false, enableOfflineQueue: false, tls: opts.tls ? { ca: await Bun.file(opts.tls.caFile).text() } : false });
      await c.connect();
      raws.push(c);
      return c;
    },
    stop,
    start,
    pause() {
      proc?.kill('SIGSTOP');
      paused = true;
    },
    resume() {
      proc?.kill('SIGCONT');
      paused = false;
    },
    async close() {
      for (const c of raws) c.close();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Something accepts TCP connections on the loopback port (the server is listening). */
async function accepts(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}
