/** Shared fixtures for the tokens unit tests: RSA keys, a JWKS-serving fake fetch, a frozen clock. */
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export const ISSUER = 'http://localhost:8080';
export const T0 = Date.UTC(2030, 0, 1); // fixed wall clock for every test

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export async function makeKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicKey, jwk };
}

/** A clock the test moves by hand. */
export function clock(start = T0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms), set: (ms: number) => void (t = ms) };
}

/** Fake JWKS endpoint: serves `keys`, counts calls, can be made to fail or hang. */
export function fakeJwks(initial: TestKey[]) {
  const state = {
    keys: initial,
    calls: 0,
    mode: 'ok' as 'ok' | 'down' | 'timeout' | 'http500' | 'garbage',
    gate: undefined as Promise<void> | undefined,
  };
  const fetchImpl = (async () => {
    state.calls++;
    if (state.gate) await state.gate;
    switch (state.mode) {
      case 'down':
        throw new TypeError('fetch failed: connection refused');
      case 'timeout':
        throw new DOMException('The operation timed out.', 'TimeoutError');
      case 'http500':
        return new Response('oops', { status: 500 });
      case 'garbage':
        return new Response('{not json', { status: 200 });
      default:
        return Response.json({ keys: state.keys.map((k) => k.jwk) });
    }
  }) as unknown as typeof fetch;
  return { state, fetch: fetchImpl };
}

export function sign(key: TestKey, claims: JWTPayload, opts: { iat: number; typ?: string; kid?: string; exp?: number | null }): Promise<string> {
  const jwt = new SignJWT({ iss: ISSUER, sub: 'user-1', aud: ['client-1', 'project-1'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? key.kid, ...(opts.typ === undefined ? { typ: 'JWT' } : opts.typ === '' ? {} : { typ: opts.typ }) })
    .setIssuedAt(opts.iat);
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? opts.iat + 3600);
  return jwt.sign(key.privateKey);
}
