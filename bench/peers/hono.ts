/**
 * Peer of `bun run bench`: Hono's JWK middleware (`hono/jwk`) on Bun, what a Bun team would
 * otherwise reach for. Fastest documented setup: the keys are handed over as an array (`keys`),
 * fetched once at start — with `jwks_uri` the middleware fetches the JWKS on every request.
 * Hono has no verified-token cache: every request verifies the signature (WebCrypto). Same checks
 * as the gateway: issuer exact, audience, RS256 only (`exp` is checked when present, Hono's default).
 *
 * Usage: BENCH_JWKS_URI=… BENCH_ISSUER=… BENCH_AUDIENCE=… bun bench/peers/hono.ts
 * Prints `{"port":N}` once listening; exits when stdin closes.
 */
import { Hono } from 'hono';
import { jwk } from 'hono/jwk';
import type { HonoJsonWebKey } from 'hono/utils/jwt/jws';

const E = process.env;
const { keys } = (await (await fetch(E.BENCH_JWKS_URI!)).json()) as { keys: HonoJsonWebKey[] };
// jwk() stores the verified claims as the context variable `jwtPayload`.
const app = new Hono<{ Variables: { jwtPayload: Record<string, unknown> } }>();
app.use('/api/v1/validate', jwk({ keys, alg: ['RS256'], verification: { iss: E.BENCH_ISSUER!, aud: E.BENCH_AUDIENCE! } }));
app.get('/api/v1/validate', (c) => c.json(c.get('jwtPayload')));
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, development: false, fetch: app.fetch });
console.log(JSON.stringify({ port: server.port }));
await Bun.stdin.text();
process.exit(0);
