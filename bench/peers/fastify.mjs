/**
 * Peer of `bun run bench`: what a Node team would otherwise write — Node 20, Fastify 5,
 * @fastify/jwt with its keys from get-jwks, in the fastest setup their READMEs document:
 * - get-jwks finds the JWKS through the issuer's discovery document and keeps each key (as PEM)
 *   in its LRU (`ttl` raised to the gateway's JWKS max age, 300 s, from the default 60 s);
 * - @fastify/jwt's `secret` is the function from its "Verifying with JWKS" example, so every key
 *   gets one fast-jwt verifier (the plugin keeps one per key string);
 * - the verified-token cache is on (`verify.cache`: fast-jwt's LRU) with as many entries as the
 *   gateway's default ZITAUTH_CACHE_SIZE, keyed by the token itself (`cacheKeyBuilder`: the
 *   README's documented speed-up over the default, which hashes every token; the gateway keys its
 *   cache by the token too). BENCH_CACHE_SIZE=0 turns the cache off (the cold scenario).
 * Same checks as the gateway: issuer exact, audience, RS256 only, `exp` required.
 *
 * Plain JavaScript: Node 20 runs no TypeScript. Usage (from the repository, for node_modules):
 *   BENCH_ISSUER=… BENCH_AUDIENCE=… [BENCH_CACHE_SIZE=10000] node bench/peers/fastify.mjs
 * Prints `{"port":N}` once listening; exits when stdin closes.
 */
import Fastify from 'fastify';
import fastifyJwt from '@fastify/jwt';
import buildGetJwks from 'get-jwks';

const issuer = process.env.BENCH_ISSUER;
const audience = process.env.BENCH_AUDIENCE;
const cacheSize = Number(process.env.BENCH_CACHE_SIZE ?? 10_000);

const getJwks = buildGetJwks({ providerDiscovery: true, issuersWhitelist: [issuer], ttl: 300_000, max: 100 });
const app = Fastify({ logger: false });
await app.register(fastifyJwt, {
  decode: { complete: true },
  secret: (_request, token) => getJwks.getPublicKey({ kid: token.header.kid, alg: token.header.alg, domain: token.payload.iss }),
  verify: {
    algorithms: ['RS256'],
    allowedIss: issuer,
    allowedAud: audience,
    requiredClaims: ['exp'],
    ...(cacheSize > 0 ? { cache: cacheSize, cacheKeyBuilder: (token) => token } : {}),
  },
});
app.get('/api/v1/validate', async (request, reply) => {
  try {
    return await request.jwtVerify();
  } catch {
    reply.code(401);
    return { error: 'invalid_token' };
  }
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
// The bench keeps our stdin open as a lifeline.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
