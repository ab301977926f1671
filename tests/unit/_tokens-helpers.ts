/** Shared fixtures for the tokens unit tests: RSA keys, a JWKS-serving fake fetch, a frozen clock. */
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { InvalidToken, type RejectionReason } from '../../src/errors.ts';
import { isJwtShaped, type JwtShaped } from '../../src/tokens/format.ts';

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

/**
 * Fake JWKS endpoint: serves `keys` (the list as it was when the request arrived, like a server
 * answering from a snapshot), counts calls and concurrent calls, can fail, hang behind a gate, or
 * send response headers.
 */
export function fakeJwks(initial: TestKey[]) {
  const state = {
    keys: initial as { jwk: unknown }[],
    calls: 0,
    inFlight: 0,
    maxInFlight: 0,
    mode: 'ok' as 'ok' | 'down' | 'timeout' | 'http500' | 'garbage',
    gate: undefined as Promise<void> | undefined,
    headers: {} as Record<string, string>,
  };
  const fetchImpl = (async () => {
    state.calls++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    const keys = state.keys.map((k) => k.jwk);
    const mode = state.mode;
    try {
      if (state.gate) await state.gate;
      switch (mode) {
        case 'down':
          throw new TypeError('fetch failed: connection refused');
        case 'timeout':
          throw new DOMException('The operation timed out.', 'TimeoutError');
        case 'http500':
          return new Response('oops', { status: 500 });
        case 'garbage':
          return new Response('{not json', { status: 200 });
        default:
          return Response.json({ keys }, { headers: state.headers });
      }
    } finally {
      state.inFlight--;
    }
  }) as unknown as typeof fetch;
  return { state, fetch: fetchImpl };
}

/** `token` branded after the real shape check (fails the test when it is not JWT-shaped). */
export function shaped(token: string): JwtShaped {
  if (!isJwtShaped(token)) throw new Error('test token is not JWT-shaped');
  return token;
}

export async function sign(key: TestKey, claims: JWTPayload, opts: { iat: number; typ?: string; kid?: string; exp?: number | null }): Promise<JwtShaped> {
  const jwt = new SignJWT({ iss: ISSUER, sub: 'user-1', aud: ['client-1', 'project-1'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? key.kid, ...(opts.typ === undefined ? { typ: 'JWT' } : opts.typ === '' ? {} : { typ: opts.typ }) })
    .setIssuedAt(opts.iat);
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? opts.iat + 3600);
  return shaped(await jwt.sign(key.privateKey));
}

/** The rejection reason of `run` (sync throw or rejection); fails the test when it succeeds or throws something else. */
export async function reasonOf(run: () => unknown): Promise<RejectionReason> {
  try {
    await run();
  } catch (err) {
    if (err instanceof InvalidToken) return err.reason;
    throw err;
  }
  throw new Error('expected a rejection');
}

/** Whatever `run` threw or rejected with; fails the test when it succeeds. */
export async function failureOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}
