/**
 * Reference of `bun run bench` (for information, not a target): the least a token-checking
 * server can do on Bun — read the Authorization header, look the token up in a `Map`, and on a
 * miss check its RS256 signature with node:crypto (a prepared KeyObject) and keep the payload as
 * the answer. No claim rules, no request id, no log, no metrics: not a validator, only the cost
 * every validator pays on top of the floor (bench/baseline-json.ts, which reads nothing).
 *
 * Usage: BENCH_JWKS_URI=… [BENCH_CACHE_SIZE=10000; 0 = verify every request] bun bench/baseline-minimal.ts
 * Prints `{"port":N}` once listening; exits when stdin closes.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export async function minimalHandler(o: { jwksUri: string; cacheSize: number }): Promise<(req: Request) => Response> {
  const { keys } = (await (await fetch(o.jwksUri)).json()) as { keys: (JsonWebKey & { kid?: string })[] };
  const byKid = new Map<string | undefined, KeyObject>(keys.map((k) => [k.kid, createPublicKey({ key: k, format: 'jwk' })]));
  const cache = new Map<string, string>();
  const headers = { 'content-type': 'application/json' };
  const reject = () => new Response('{"error":"invalid_token"}', { status: 401, headers });
  return (req) => {
    const auth = req.headers.get('authorization');
    if (auth === null || !auth.startsWith('Bearer ')) return reject();
    const token = auth.slice(7);
    let body = cache.get(token);
    if (body === undefined) {
      const dot1 = token.indexOf('.');
      const dot2 = token.lastIndexOf('.');
      let key: KeyObject | undefined;
      try {
        key = byKid.get((JSON.parse(Buffer.from(token.slice(0, dot1), 'base64url').toString()) as { kid?: string }).kid);
      } catch {
        return reject();
      }
      if (key === undefined || !verify('sha256', Buffer.from(token.slice(0, dot2), 'latin1'), key, Buffer.from(token.slice(dot2 + 1), 'base64url'))) return reject();
      body = Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString();
      if (o.cacheSize > 0) {
        // Oldest first out: enough for a reference (the pool fits, nothing is evicted).
        if (cache.size >= o.cacheSize) cache.delete(cache.keys().next().value!);
        cache.set(token, body);
      }
    }
    return new Response(body, { headers });
  };
}

if (import.meta.main) {
  const fetch = await minimalHandler({ jwksUri: process.env.BENCH_JWKS_URI!, cacheSize: Number(process.env.BENCH_CACHE_SIZE ?? 10_000) });
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, development: false, fetch });
  console.log(JSON.stringify({ port: server.port }));
  await Bun.stdin.text();
  process.exit(0);
}
