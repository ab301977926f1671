/**
 * Child process of `bun run bench`: runs the Zitadel-shaped dev IdP off the measured processes,
 * mints the bench's tokens and reports where everything is. Minting RS256 costs ~0.4 ms per token
 * on two cores, so the distinct-token file is sized in the tens of thousands (the gateway under test
 * gets a cache far smaller than the file, which makes every request a miss).
 *
 * Usage: BENCH_DISTINCT=N BENCH_OUT=dir bun bench/idp.ts — prints one JSON line
 * `{ issuer, clientId, projectId, jwksUri, token, tokensFile, count, mintMs }` and keeps serving
 * until stdin closes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevIdp } from '../src/devidp/index.ts';

const count = Number(process.env.BENCH_DISTINCT ?? 20_000);
const out = process.env.BENCH_OUT ?? '/tmp';

const idp = await startDevIdp({ redirectUris: ['http://127.0.0.1:9/api/v1/callback'] });
const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };

const started = performance.now();
const tokens: string[] = [];
// Batches keep a few signatures in flight without queueing tens of thousands of promises.
for (let i = 0; i < count; i += 256) {
  const n = Math.min(256, count - i);
  tokens.push(...(await Promise.all(Array.from({ length: n }, () => idp.mintAccessToken()))));
}
const mintMs = performance.now() - started;
const tokensFile = join(out, 'distinct-tokens.txt');
writeFileSync(tokensFile, tokens.join('\n') + '\n');

console.log(
  JSON.stringify({
    issuer: idp.issuer,
    clientId: idp.clientId,
    projectId: idp.projectId,
    jwksUri: meta.jwks_uri,
    token: await idp.mintAccessToken(),
    tokensFile,
    count,
    mintMs: Math.round(mintMs),
  }),
);

// The parent closes our stdin when it is done (also when it dies).
await Bun.stdin.text();
await idp.close();
process.exit(0);
