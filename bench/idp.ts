/**
 * Child process of `bun run bench`: runs the Zitadel-shaped dev IdP off the measured processes,
 * mints the bench's tokens and reports where everything is. Minting RS256 costs ~0.4 ms per token
 * on two cores, so the files are sized in the thousands (docs/benchmarks.md).
 *
 * - `token`: the one repeated token;
 * - `poolFile`: BENCH_POOL tokens of as many users (distinct `sub`), cycled by the pool scenario;
 * - `tokensFile`: BENCH_DISTINCT tokens (distinct `jti`), cycled by the cold scenario.
 *
 * Usage: BENCH_DISTINCT=N BENCH_POOL=N BENCH_OUT=dir [BENCH_REDIRECT_URIS=a,b] bun bench/idp.ts —
 * prints one JSON line (see {@link IdpInfo}) and keeps serving until stdin closes. The redirect
 * URIs are the callbacks of the session-mode gateways, which log in through this IdP.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevIdp } from '../src/devidp/index.ts';

/** What the child announces. */
export interface IdpInfo {
  issuer: string;
  clientId: string;
  projectId: string;
  jwksUri: string;
  token: string;
  tokensFile: string;
  count: number;
  poolFile: string;
  poolCount: number;
  mintMs: number;
}

if (import.meta.main) {
  const count = Number(process.env.BENCH_DISTINCT ?? 20_000);
  const poolCount = Number(process.env.BENCH_POOL ?? 0);
  const out = process.env.BENCH_OUT ?? '/tmp';
  const redirectUris = (process.env.BENCH_REDIRECT_URIS ?? '').split(',').filter(Boolean);

  const idp = await startDevIdp({ redirectUris: ['http://127.0.0.1:9/api/v1/callback', ...redirectUris] });
  const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };

  /** Mints `n` tokens, a few signatures in flight at a time rather than thousands of promises. */
  const mintMany = async (n: number, claims: (i: number) => Record<string, unknown> | undefined) => {
    const tokens: string[] = [];
    for (let i = 0; i < n; i += 256) {
      const batch = Array.from({ length: Math.min(256, n - i) }, (_, k) => idp.mintAccessToken({ claims: claims(i + k) }));
      tokens.push(...(await Promise.all(batch)));
    }
    return tokens;
  };
  const started = performance.now();
  const tokensFile = join(out, 'distinct-tokens.txt');
  writeFileSync(tokensFile, (await mintMany(count, () => undefined)).join('\n') + '\n');
  // One user per token: the pool is 5,000 people with one session each, as a busy API sees them.
  const poolFile = join(out, 'pool-tokens.txt');
  writeFileSync(poolFile, (await mintMany(poolCount, (i) => ({ sub: String(310000000000000000n + BigInt(i)) }))).join('\n') + '\n');
  const mintMs = performance.now() - started;

  const info: IdpInfo = {
    issuer: idp.issuer,
    clientId: idp.clientId,
    projectId: idp.projectId,
    jwksUri: meta.jwks_uri,
    token: await idp.mintAccessToken(),
    tokensFile,
    count,
    poolFile,
    poolCount,
    mintMs: Math.round(mintMs),
  };
  console.log(JSON.stringify(info));

  // The parent closes our stdin when it is done (also when it dies).
  await Bun.stdin.text();
  await idp.close();
  process.exit(0);
}
