/**
 * Micro-benchmark of the /validate hot path through `app.handle` (no sockets): the per-request CPU
 * cost of the gateway's own code, for profiling changes one at a time. Not part of `bun run bench`.
 *
 * Usage: bun bench/micro.ts [iterations]   (add --cpu-prof to bun for a profile)
 */
import { startDevIdp } from '../src/devidp/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { createServices } from '../src/services.ts';
import { createApp } from '../src/app.ts';

const N = Number(process.argv[2] ?? 200_000);
const idp = await startDevIdp({ redirectUris: ['http://127.0.0.1:9/api/v1/callback'] });
const config = loadConfig({
  ZITADEL_DOMAIN: idp.issuer,
  ZITADEL_CLIENT_ID: idp.clientId,
  ZITADEL_REDIRECT_URL: 'http://127.0.0.1:9/api/v1/callback',
  SPA_ORIGIN: 'http://127.0.0.1:3001',
  ZITAUTH_PROJECT_ID: idp.projectId,
  ZITAUTH_COOKIE_SECRET: 'bench-cookie-secret-0123456789-abcdefghij',
  ZITAUTH_LOG_LEVEL: 'info',
});
let logged = 0;
const services = await createServices(config, { logSink: () => void logged++ });
const app = createApp(services);
const token = await idp.mintAccessToken();
const url = 'http://127.0.0.1:8000/api/v1/validate';
const headers = { authorization: `Bearer ${token}` };

const first = await app.handle(new Request(url, { headers }));
if (first.status !== 200) throw new Error(`status ${first.status}: ${await first.text()}`);

async function run(n: number) {
  for (let i = 0; i < n; i++) {
    const r = await app.handle(new Request(url, { headers }));
    await r.text();
    // Let Elysia's setImmediate'd afterResponse hooks (log line, metrics) run, as a server would.
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
  }
}
await run(20_000);
// CPU time, best of several rounds: the machine may be shared, and wall time would measure the neighbours.
let best = Infinity;
const ROUNDS = Number(process.argv[3] ?? 10);
for (let round = 0; round < ROUNDS; round++) {
  const c0 = process.cpuUsage();
  await run(N);
  const c = process.cpuUsage(c0);
  best = Math.min(best, ((c.user + c.system) * 1e3) / N);
}
console.log(`repeated-token /validate via app.handle: ${best.toFixed(0)} ns CPU/req (best of ${ROUNDS} × ${N})`);
console.log(`log lines: ${logged}`);
await idp.close();
process.exit(0);
