/**
 * In-process micro-measurements of the token path, for design decisions one change at a time.
 * Not part of `bun run bench` (no sockets, no wrk); numbers go to docs/benchmarks.md.
 * CPU time per operation, best of several rounds: the machine may be shared, and wall time would
 * measure the neighbours.
 *
 * Usage: bun bench/micro.ts [mode] [iterations] [rounds]      (add --cpu-prof to bun for a profile)
 *   route   repeated-token /validate through `app.handle` (the default; the cache-hit path)
 *   verify  one cache miss: jose `jwtVerify` vs our verifier, per algorithm, distinct tokens
 *   miss    one cache miss through the native /validate route, our synchronous verify vs the
 *           same result handed over as a promise (what an always-async verify() would cost)
 */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startDevIdp } from '../src/devidp/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { createServices } from '../src/services.ts';
import { createApp } from '../src/app.ts';
import { JwksCache } from '../src/tokens/jwks.ts';
import { createJwtVerifier } from '../src/tokens/verifier.ts';
import { isJwtShaped, type JwtShaped } from '../src/tokens/format.ts';

const mode = process.argv[2] ?? 'route';
const N = Number(process.argv[3] ?? (mode === 'route' ? 200_000 : 20_000));
const ROUNDS = Number(process.argv[4] ?? (mode === 'route' ? 10 : 5));

/** Best-of-`ROUNDS` CPU µs per call of `run(n)` (which performs n operations). */
async function cpuPerOp(n: number, run: (n: number) => unknown): Promise<number> {
  await run(Math.min(n, 2_000));
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const c0 = process.cpuUsage();
    await run(n);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / n);
  }
  return best;
}

const ISSUER = 'http://127.0.0.1:9';
const baseClaims = () => ({
  iss: ISSUER,
  sub: '300000000000000010',
  aud: ['zitauth-spa', '300000000000000003@zitauth', '300000000000000001'],
  exp: Math.floor(Date.now() / 1000) + 3600,
  iat: Math.floor(Date.now() / 1000),
  nbf: Math.floor(Date.now() / 1000),
  client_id: 'zitauth-spa',
  preferred_username: 'demo@zitauth.localhost',
  email: 'demo@zitauth.localhost',
  name: 'Demo User',
  'urn:zitadel:iam:org:project:roles': { admin: { '300000000000000000': 'zitauth.localhost' } },
});

async function measureVerify(): Promise<void> {
  const algs: [string, KeyObject, KeyObject][] = [];
  const add = (alg: string, pair: { privateKey: KeyObject; publicKey: KeyObject }) => algs.push([alg, pair.privateKey, pair.publicKey]);
  add('RS256', generateKeyPairSync('rsa', { modulusLength: 2048 }));
  add('PS256', generateKeyPairSync('rsa', { modulusLength: 2048 }));
  add('ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  add('EdDSA', generateKeyPairSync('ed25519'));
  const jwks = { keys: algs.map(([alg, , pub]) => ({ ...(pub.export({ format: 'jwk' }) as object), kid: alg, alg, use: 'sig' })) };
  const cache = new JwksCache({ jwksUri: 'http://127.0.0.1:9/keys', fetch: (async () => Response.json(jwks)) as unknown as typeof fetch, timeoutMs: 1000 });
  await cache.refresh();
  const opts = { issuer: ISSUER, audience: ['zitauth-spa'], algorithms: algs.map(([a]) => a), clockToleranceSec: 5 };
  const ours = createJwtVerifier({ ...opts, jwks: cache });
  const local = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
  const joseOpts = { issuer: ISSUER, audience: ['zitauth-spa'], algorithms: opts.algorithms, requiredClaims: ['exp'], clockTolerance: 5 };
  for (const [alg, priv] of algs) {
    const tokens: JwtShaped[] = [];
    for (let i = 0; i < 2_000; i++) {
      const input = `${Buffer.from(JSON.stringify({ alg, kid: alg, typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...baseClaims(), jti: `t${i}` })).toString('base64url')}`;
      const hash = alg === 'EdDSA' ? null : 'sha256';
      const key = alg === 'PS256' ? { key: priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : alg === 'ES256' ? { key: priv, dsaEncoding: 'ieee-p1363' as const } : priv;
      const token = `${input}.${sign(hash, Buffer.from(input), key).toString('base64url')}`;
      if (!isJwtShaped(token)) throw new Error('not JWT-shaped');
      tokens.push(token);
    }
    const n = alg.startsWith('ES') || alg === 'EdDSA' ? Math.min(N, 5_000) : N;
    const joseUs = await cpuPerOp(n, async (k) => {
      for (let i = 0; i < k; i++) await jwtVerify(tokens[i % tokens.length]!, local, joseOpts);
    });
    const oursUs = await cpuPerOp(n, (k) => {
      for (let i = 0; i < k; i++) ours.verify(tokens[i % tokens.length]!);
    });
    console.log(`${alg}: jose jwtVerify ${joseUs.toFixed(1)} µs, ours ${oursUs.toFixed(1)} µs CPU per verification (${(joseUs / oursUs).toFixed(2)}×)`);
  }
}

async function gatewayFixture(env: Record<string, string> = {}) {
  const idp = await startDevIdp({ redirectUris: ['http://127.0.0.1:9/api/v1/callback'] });
  const config = loadConfig({
    ZITADEL_DOMAIN: idp.issuer,
    ZITADEL_CLIENT_ID: idp.clientId,
    ZITADEL_REDIRECT_URL: 'http://127.0.0.1:9/api/v1/callback',
    SPA_ORIGIN: 'http://127.0.0.1:3001',
    ZITAUTH_PROJECT_ID: idp.projectId,
    ZITAUTH_COOKIE_SECRET: 'bench-cookie-secret-0123456789-abcdefghij',
    ZITAUTH_LOG_LEVEL: 'info',
    ...env,
  });
  let logged = 0;
  const services = await createServices(config, { logSink: () => void logged++ });
  return { idp, config, services, logged: () => logged };
}

async function measureRoute(): Promise<void> {
  const { idp, services, logged } = await gatewayFixture();
  const app = createApp(services);
  const token = await idp.mintAccessToken();
  const url = 'http://127.0.0.1:8000/api/v1/validate';
  const headers = { authorization: `Bearer ${token}` };
  const first = await app.handle(new Request(url, { headers }));
  if (first.status !== 200) throw new Error(`status ${first.status}: ${await first.text()}`);
  const us = await cpuPerOp(N, async (n) => {
    for (let i = 0; i < n; i++) {
      const r = await app.handle(new Request(url, { headers }));
      await r.text();
      // Let Elysia's setImmediate'd afterResponse hooks (log line, metrics) run, as a server would.
      if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
    }
  });
  console.log(`repeated-token /validate via app.handle: ${(us * 1000).toFixed(0)} ns CPU/req (best of ${ROUNDS} × ${N})`);
  console.log(`log lines: ${logged()}`);
  await idp.close();
}

async function measureMiss(): Promise<void> {
  // Cache off: every request is a miss that verifies a signature.
  const { idp, config, services } = await gatewayFixture({ ZITAUTH_CACHE_SIZE: '0' });
  const { createAccounting, failureResponder } = await import('../src/http/core.ts');
  const { createAnswers, createTokenCheck, nativeTokenRoutes, VALIDATE_PATH } = await import('../src/http/validate/index.ts');
  await services.validator.get();
  const tokens: string[] = [];
  for (let i = 0; i < 1_000; i++) tokens.push(await idp.mintAccessToken({ claims: { jti: `m${i}` } }));
  const accounting = createAccounting({ logger: services.logger, metrics: services.metrics });
  const sync = services.validator;
  // The same validator, but every result handed over as a promise, as an async verify() would.
  const asPromise = {
    cached: (t: string) => sync.cached(t),
    validateJwt: (t: JwtShaped) => {
      try {
        return Promise.resolve(sync.validateJwt(t));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    validateOpaque: sync.validateOpaque.bind(sync),
  };
  const url = 'http://127.0.0.1:8000/api/v1/validate';
  const requests = tokens.map((t) => new Request(url, { headers: { authorization: `Bearer ${t}` } }));
  const best = new Map<string, number>();
  // Interleaved twice, so neither variant profits from running first or last.
  for (const [label, validator] of [
    ['synchronous verify', sync],
    ['verify as a promise', asPromise],
    ['synchronous verify', sync],
    ['verify as a promise', asPromise],
  ] as const) {
    const answers = createAnswers({ check: createTokenCheck({ validator }), fail: failureResponder(services.logger), claimHeaders: {} });
    const route = nativeTokenRoutes({ answers, accounting, corsOrigins: config.corsOrigins })[VALIDATE_PATH]!.GET;
    const us = await cpuPerOp(N, async (n) => {
      for (let i = 0; i < n; i++) {
        const r = route(requests[i % requests.length]!);
        const res = r instanceof Promise ? await r : r;
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    best.set(label, Math.min(best.get(label) ?? Infinity, us));
  }
  for (const [label, us] of best) console.log(`cache-miss /validate (native route, RS256): ${label}: ${us.toFixed(2)} µs CPU/req`);
  await idp.close();
}

if (mode === 'verify') await measureVerify();
else if (mode === 'miss') await measureMiss();
else await measureRoute();
process.exit(0);
