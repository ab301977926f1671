/**
 * Baseline 2 of `bun run bench`: a bare `Bun.serve` that verifies the bearer token with jose on
 * every request (RS256 against the IdP's JWKS via `createLocalJWKSet`, same issuer/audience/alg
 * checks as the gateway) and answers its claims — the cost of "just verify it" without any cache.
 * The gateway's distinct-token /validate (all cache misses) is compared against it.
 *
 * Usage: BENCH_JWKS_URI=… BENCH_ISSUER=… [BENCH_AUDIENCE=a,b] bun bench/baseline-jose.ts
 * Prints `{"port":N}` on stdout once listening.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';

/** The baseline's request handler (also served on its own by bench/layers.ts). */
export async function joseHandler(o: { jwksUri: string; issuer: string; audience?: string[] }): Promise<(req: Request) => Promise<Response>> {
  const keys = createLocalJWKSet(await (await fetch(o.jwksUri)).json());
  const opts = { issuer: o.issuer, audience: o.audience, algorithms: ['RS256'], requiredClaims: ['exp'] };
  return async (req) => {
    const auth = req.headers.get('authorization');
    if (!auth?.startsWith('Bearer ')) return Response.json({ error: 'invalid_request' }, { status: 400 });
    try {
      const { payload } = await jwtVerify(auth.slice(7), keys, opts);
      return Response.json(payload);
    } catch {
      return Response.json({ error: 'invalid_token' }, { status: 401 });
    }
  };
}

if (import.meta.main) {
  const fetch = await joseHandler({
    jwksUri: process.env.BENCH_JWKS_URI!,
    issuer: process.env.BENCH_ISSUER!,
    audience: process.env.BENCH_AUDIENCE ? process.env.BENCH_AUDIENCE.split(',') : undefined,
  });
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch });
  console.log(JSON.stringify({ port: server.port }));
}
