/**
 * The memory part of `bun run bench`: does the gateway's RSS stay bounded by its cache size when it
 * sees a million distinct valid tokens?
 *
 * RS256 minting (~0.4 ms/token on two cores) would take minutes per 100k tokens, so this phase uses
 * a bench-local issuer signing with Ed25519 (~20 µs/token): a bare discovery document + JWKS served
 * from the bench process, and a gateway started with ZITAUTH_ALLOWED_ALGS=EdDSA. What the cache
 * holds per entry — the token string (same length class as Zitadel's ~1 KB JWTs) and its frozen
 * claims (Zitadel-shaped: audiences, roles maps, jti) — is what a real token would leave behind, and
 * every token is distinct and valid, so each one is verified and inserted (evicting the oldest).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** Issuer of EdDSA tokens shaped like Zitadel's user access tokens. */
export interface BenchIssuer {
  issuer: string;
  projectId: string;
  clientId: string;
  /** Mints the `i`-th distinct token (distinct jti and sub). */
  mint(i: number): string;
  stop(): void;
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');

export function startBenchIssuer(): BenchIssuer {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = 'bench-ed25519';
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' };
  let issuer = '';
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === '/.well-known/openid-configuration') {
        return Response.json({
          issuer,
          authorization_endpoint: `${issuer}/oauth/v2/authorize`,
          token_endpoint: `${issuer}/oauth/v2/token`,
          jwks_uri: `${issuer}/oauth/v2/keys`,
          userinfo_endpoint: `${issuer}/oidc/v1/userinfo`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['EdDSA'],
        });
      }
      if (path === '/oauth/v2/keys') return Response.json({ keys: [jwk] });
      return new Response('not found', { status: 404 });
    },
  });
  issuer = `http://127.0.0.1:${server.port}`;
  const projectId = '300000000000000001';
  const clientId = 'zitauth-spa';
  const header = b64(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid }));
  const iat = Math.floor(Date.now() / 1000);
  const roles = { admin: { '300000000000000000': 'zitauth.localhost' } };
  return {
    issuer,
    projectId,
    clientId,
    mint: (i) => signToken(header, privateKey, {
      iss: issuer,
      sub: String(300000000000000000n + BigInt(i)),
      aud: [clientId, '300000000000000003@zitauth', projectId],
      client_id: clientId,
      exp: iat + 43_200,
      iat,
      nbf: iat,
      jti: crypto.randomUUID(),
      'urn:zitadel:iam:org:project:roles': roles,
      [`urn:zitadel:iam:org:project:${projectId}:roles`]: roles,
    }),
    stop: () => server.stop(true),
  };
}

function signToken(header: string, key: KeyObject, claims: Record<string, unknown>): string {
  const input = `${header}.${b64(JSON.stringify(claims))}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Sends tokens `from`..`to-1` to `url` with `concurrency` requests in flight; counts non-200s.
 * Tokens are minted on the fly, so none of them is held by the bench.
 */
export async function sendDistinct(url: string, iss: BenchIssuer, from: number, to: number, concurrency = 48): Promise<number> {
  let next = from;
  let bad = 0;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      const r = await fetch(url, { headers: { authorization: `Bearer ${iss.mint(i)}` } });
      if (r.status !== 200) bad++;
      await r.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return bad;
}
