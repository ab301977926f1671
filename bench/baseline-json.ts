/**
 * Baseline 1 of `bun run bench`: a bare `Bun.serve` answering every request with a fixed JSON
 * claims object — the ceiling any Bun HTTP service can reach on this machine. The gateway's
 * repeated-token /validate is compared against it.
 *
 * Usage: `bun bench/baseline-json.ts` — prints `{"port":N}` on stdout once listening.
 * BENCH_CLAIMS may hold the claims JSON (so the body is the same size as the gateway's).
 */
/** The baseline's request handler (also served on its own by bench/layers.ts). */
export function jsonHandler(claims: Record<string, unknown>): () => Response {
  // Serialized per request, as a handler returning an object would be.
  return () => Response.json(claims);
}

if (import.meta.main) {
  const claims: Record<string, unknown> = process.env.BENCH_CLAIMS
    ? JSON.parse(process.env.BENCH_CLAIMS)
    : { iss: 'http://127.0.0.1', sub: '300000000000000010', aud: ['zitauth-spa'], exp: 4102444800, iat: 1700000000 };
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: jsonHandler(claims) });
  console.log(JSON.stringify({ port: server.port }));
}
