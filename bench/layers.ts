/**
 * Where the time of a /validate request goes: serves each layer of the gateway's code on its own
 * pinned `Bun.serve` route and compares their server CPU per request under the same wrk load,
 * alternating, like bench/cpu.ts. Each layer adds one stage to the one before it:
 *
 *   bare       bench/baseline-jose.ts's handler (jose `jwtVerify` over `createLocalJWKSet`)
 *   json       (extra) bench/baseline-json.ts's handler: fixed claims as JSON, the token unread
 *   header     (extra) + reading the Authorization header (fixed claims still)
 *   crypto     (extra) + node:crypto `verify` of its RS256 signature with a prepared KeyObject and
 *              the payload decoded and answered as JSON: the least any verifying server does
 *   verifier   the gateway's JWKS cache and verifier (typ check, error mapping)
 *   validator  + TokenValidator (positive/negative caches, admission, shape classification)
 *   check      + the HTTP check (bearer split, cache peek, 400 for a bad charset, response headers)
 *   route      + request id, CORS, requirement query, metrics and access line: the native route
 *
 * With `repeated`, `bare` is bench/baseline-json.ts's handler instead (fixed claims as JSON).
 * Runs from source; the access line goes to /dev/null as in `bun run bench`. Not part of it.
 *
 * Usage: bun bench/layers.ts [distinct|repeated] [rounds=6] [seconds=2] [layers=bare,verifier,validator,check,route]
 * (the extra layers only when named, e.g. `bun bench/layers.ts distinct 6 3 json,header,crypto,verifier,route`)
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { joseHandler } from './baseline-jose.ts';
import { jsonHandler } from './baseline-json.ts';
import { spawnAnnounced } from './procs.ts';
import { median, runWrkMeasured } from './wrk.ts';

const DEFAULT_LAYERS = ['bare', 'verifier', 'validator', 'check', 'route'] as const;
const LAYERS = [...DEFAULT_LAYERS, 'json', 'header', 'crypto'] as const;
type Layer = (typeof LAYERS)[number];

if (process.argv[2] === '--serve') await serve(process.argv[3] as Layer);
else await drive();

/** Child: one layer on `/api/v1/validate`; prints `{"port":N}`. Configured by BENCH_* variables. */
async function serve(layer: Layer): Promise<void> {
  const E = process.env;
  const handler = await handlerFor(layer, {
    issuer: E.BENCH_ISSUER!,
    audience: E.BENCH_AUDIENCE!,
    clientId: E.BENCH_CLIENT_ID!,
    jwksUri: E.BENCH_JWKS_URI!,
    claims: E.BENCH_CLAIMS,
    fixedClaims: E.BENCH_FIXED_CLAIMS!,
  });
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    development: false,
    routes: { '/api/v1/validate': { GET: handler } },
    fetch: () => new Response('not found', { status: 404 }),
  });
  console.log(JSON.stringify({ port: server.port }));
  // A clean exit on SIGINT, so `bun --cpu-prof` writes its profile.
  process.on('SIGINT', () => process.exit(0));
}

type Handler = (req: Request) => Response | Promise<Response>;

async function handlerFor(
  layer: Layer,
  o: { issuer: string; audience: string; clientId: string; jwksUri: string; claims: string | undefined; fixedClaims: string },
): Promise<Handler> {
  if (layer === 'bare') {
    return o.claims !== undefined ? jsonHandler(JSON.parse(o.claims)) : joseHandler({ jwksUri: o.jwksUri, issuer: o.issuer, audience: [o.audience] });
  }
  const unauthorized = () => Response.json({ error: 'invalid_token' }, { status: 401 });
  const tokenOf = (req: Request) => (req.headers.get('authorization') ?? '').slice(7);
  if (layer === 'json' || layer === 'header') {
    const fixed = jsonHandler(JSON.parse(o.fixedClaims));
    if (layer === 'json') return fixed;
    return (req) => (tokenOf(req).length > 0 ? fixed() : unauthorized());
  }
  if (layer === 'crypto') {
    const { keys } = (await (await fetch(o.jwksUri)).json()) as { keys: JsonWebKey[] };
    const key = createPublicKey({ key: keys[0]!, format: 'jwk' });
    return (req) => {
      const token = tokenOf(req);
      const dot = token.lastIndexOf('.');
      const ok = cryptoVerify('sha256', Buffer.from(token.slice(0, dot), 'latin1'), key, Buffer.from(token.slice(dot + 1), 'base64url'));
      if (!ok) return unauthorized();
      const payload = token.slice(token.indexOf('.') + 1, dot);
      return Response.json(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    };
  }
  // The gateway's own modules, wired as `zitauth serve` wires them (config from variables only).
  const { loadConfig } = await import('../src/config/index.ts');
  const { createServices } = await import('../src/services.ts');
  const { batchedWriter } = await import('../src/observability/logger.ts');
  const config = loadConfig({
    ZITADEL_DOMAIN: o.issuer,
    ZITADEL_CLIENT_ID: o.clientId,
    ZITADEL_REDIRECT_URL: 'http://127.0.0.1:9/api/v1/callback',
    SPA_ORIGIN: 'http://127.0.0.1:3001',
    ZITAUTH_PROJECT_ID: o.audience,
    ZITAUTH_COOKIE_SECRET: 'bench-cookie-secret-0123456789-abcdefghij',
    ZITAUTH_LOG_LEVEL: 'info',
    ZITAUTH_CACHE_SIZE: '1000',
  });
  const devNull = Bun.file('/dev/null').writer();
  const logSink = batchedWriter((chunk) => {
    devNull.write(chunk);
    devNull.flush();
  }).write;
  const s = await createServices(config, { logSink });
  const validator = await s.validator.get();
  if (layer === 'verifier') {
    const { createJwtVerifier } = await import('../src/tokens/verifier.ts');
    const verifier = createJwtVerifier({ issuer: o.issuer, audience: [o.audience], algorithms: config.algorithms, clockToleranceSec: config.clockToleranceSec, jwks: s.validator.jwks! });
    const { isJwtShaped } = await import('../src/tokens/format.ts');
    return async (req) => {
      try {
        const token = tokenOf(req);
        if (!isJwtShaped(token)) return unauthorized();
        return Response.json(await verifier.verify(token));
      } catch {
        return unauthorized();
      }
    };
  }
  if (layer === 'validator') {
    return async (req) => {
      const token = tokenOf(req);
      try {
        return Response.json(validator.cached(token) ?? (await validator.validate(token)));
      } catch {
        return unauthorized();
      }
    };
  }
  const { createAccounting, failureResponder } = await import('../src/http/core.ts');
  const { createAnswers, createTokenCheck, nativeTokenRoutes, VALIDATE_PATH } = await import('../src/http/validate/index.ts');
  const answers = createAnswers({ check: createTokenCheck({ validator: s.validator }), fail: failureResponder(s.logger), claimHeaders: {} });
  if (layer === 'check') return (req) => answers.validate(req, {}, { headers: {} });
  const routes = nativeTokenRoutes({ answers, accounting: createAccounting({ logger: s.logger, metrics: s.metrics }), corsOrigins: config.corsOrigins });
  return routes[VALIDATE_PATH]!.GET;
}

/** Parent: the IdP, one child per layer, then alternating pinned wrk runs. */
async function drive(): Promise<void> {
  const mode = process.argv[2] === 'repeated' ? 'repeated' : 'distinct';
  const rounds = Number(process.argv[3] ?? 6);
  const seconds = Number(process.argv[4] ?? 2);
  const layers = (process.argv[5]?.split(',') ?? DEFAULT_LAYERS) as Layer[];
  const bad = layers.filter((l) => !LAYERS.includes(l));
  if (bad.length) throw new Error(`unknown layer(s) ${bad.join(', ')}; known: ${LAYERS.join(', ')}`);

  const work = mkdtempSync(join(tmpdir(), 'zitauth-layers-'));
  const idp = await spawnAnnounced<{ issuer: string; clientId: string; projectId: string; jwksUri: string; token: string; tokensFile: string }>(
    [process.execPath, join(import.meta.dir, 'idp.ts')],
    { BENCH_DISTINCT: mode === 'distinct' ? '20000' : '1', BENCH_OUT: work },
  );
  const I = idp.info;
  const env: Record<string, string> = { BENCH_ISSUER: I.issuer, BENCH_AUDIENCE: I.projectId, BENCH_CLIENT_ID: I.clientId, BENCH_JWKS_URI: I.jwksUri };
  // The claims of one token, for the layers that answer fixed claims (same body size).
  env.BENCH_FIXED_CLAIMS = Buffer.from(I.token.split('.')[1]!, 'base64url').toString();
  if (mode === 'repeated') env.BENCH_CLAIMS = env.BENCH_FIXED_CLAIMS;
  const servers = [];
  try {
    for (const layer of layers) {
      const child = await spawnAnnounced<{ port: number }>([process.execPath, import.meta.path, '--serve', layer], env);
      servers.push({ layer, child, url: `http://127.0.0.1:${child.info.port}/api/v1/validate`, us: [] as number[] });
    }
    const load = mode === 'repeated' ? { token: I.token } : { tokensFile: I.tokensFile };
    for (let round = 1; round <= rounds; round++) {
      for (const s of servers) {
        const r = await runWrkMeasured({ url: s.url, pid: s.child.proc.pid, ...load, warmupSec: 1, durationSec: seconds, connections: 50, threads: 1 });
        if (r.non2xx > 0) throw new Error(`${s.layer}: ${r.non2xx} non-2xx answers`);
        s.us.push(r.cpuUs);
      }
      console.error(`[layers] round ${round}: ${servers.map((s) => `${s.layer} ${s.us.at(-1)!.toFixed(1)} µs`).join(', ')}`);
    }
    const first = servers[0]!;
    console.log(`| ${mode} layer | CPU µs/request (median of ${rounds}) | vs ${first.layer} (median of paired ratios) |\n|---|---:|---:|`);
    for (const s of servers) {
      const ratio = median(s.us.map((us, i) => first.us[i]! / us));
      console.log(`| ${s.layer} | ${median(s.us).toFixed(1)} | ${ratio.toFixed(3)} × |`);
    }
  } finally {
    for (const s of servers) await s.child.stop();
    await idp.stop();
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}
