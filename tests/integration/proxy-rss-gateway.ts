/**
 * The proxy gateway in a process of its own, so its memory can be measured without the test
 * runner's (which generates and hashes the 50 MB). Spawned by proxy-memory.test.ts:
 *
 *   bun proxy-rss-gateway.ts <ZITAUTH_UPSTREAMS value> <stream|buffer|gateway>
 *
 * `gateway`: the real thing — a session-mode gateway (createApp, its Elysia proxy route) with a
 * dev IdP, logged in once; the hello line then also carries the session `cookie`.
 *
 * Prints one JSON line `{ url }` when listening, then answers each line read on stdin with
 * one JSON line (bytes):
 * - `sample` → `{ rss, maxRss }`: the resident set after a full GC, and the process's peak
 *   resident set so far (getrusage ru_maxrss: garbage included, so it depends on when GC runs);
 * - `watch` → `{ ok }`, and from then on a full GC and a resident-set sample every 20 ms; the
 *   next `sample` adds `maxLive`, the largest of those. Live memory is what a proxy *holds*: a
 *   buffered body shows there whatever the GC's timing, churn does not.
 */
import { startProxyGateway } from './proxy-gateway.ts';
import { startStack } from '../support/stack.ts';
import { sessionLogin } from '../support/session-login.ts';

const [upstreams = '', mode = 'stream'] = process.argv.slice(2);

async function start(): Promise<{ url: string; cookie?: string; stop(): Promise<void> }> {
  if (mode !== 'gateway') return startProxyGateway({ upstreams, timeoutMs: 60_000, buffer: mode === 'buffer' });
  const stack = await startStack({ env: { ZITAUTH_LOGIN_MODE: 'session', ZITAUTH_UPSTREAMS: upstreams, ZITAUTH_UPSTREAM_TIMEOUT_MS: '60000', ZITAUTH_LOG_LEVEL: 'warn' } });
  const { cookie } = await sessionLogin(stack.idp, stack.url);
  return { url: stack.url, cookie, stop: () => stack.close() };
}
const gw = await start();

function live(): number {
  Bun.gc(true);
  return process.memoryUsage().rss;
}

let watcher: ReturnType<typeof setInterval> | undefined;
let maxLive = 0;

function answer(command: string): unknown {
  if (command === 'watch') {
    clearInterval(watcher);
    maxLive = live();
    watcher = setInterval(() => (maxLive = Math.max(maxLive, live())), 20);
    return { ok: true };
  }
  const rss = live();
  const out = { rss, maxRss: process.resourceUsage().maxRSS * 1024, maxLive: watcher ? Math.max(maxLive, rss) : undefined };
  clearInterval(watcher);
  watcher = undefined;
  return out;
}

console.log(JSON.stringify({ url: gw.url, cookie: gw.cookie }));
let pending = '';
process.stdin.on('data', (chunk: Buffer) => {
  pending += chunk.toString();
  for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
    const command = pending.slice(0, i).trim();
    pending = pending.slice(i + 1);
    console.log(JSON.stringify(answer(command)));
  }
});
process.stdin.on('end', () => void gw.stop().then(() => process.exit(0)));
