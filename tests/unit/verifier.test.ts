import { describe, expect, test } from 'bun:test';
import { exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { InvalidToken, ZitAuthError } from '../../src/errors.ts';
import { JwksCache } from '../../src/tokens/jwks.ts';
import { createJwtVerifier, isPermanentFailure } from '../../src/tokens/verifier.ts';
import { clock, fakeJwks, ISSUER, makeKey, sign, T0 } from './_tokens-helpers.ts';

const [k1, other] = await Promise.all([makeKey('k1'), makeKey('other')]);
const iat = T0 / 1000;

function setup(opts: { audience?: string[]; algorithms?: string[] } = {}) {
  const c = clock();
  const idp = fakeJwks([k1]);
  const jwks = new JwksCache({ jwksUri: 'http://idp.test/oauth/v2/keys', fetch: idp.fetch, timeoutMs: 1000, now: c.now });
  const verifier = createJwtVerifier({
    issuer: ISSUER,
    audience: opts.audience ?? ['client-1'],
    algorithms: opts.algorithms ?? ['RS256'],
    clockToleranceSec: 5,
    jwks,
    maxTokenLength: 4096,
    now: c.now,
  });
  return { c, idp, verifier };
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ZitAuthError);
    expect(err).toBeInstanceOf(InvalidToken);
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('createJwtVerifier', () => {
  test('valid token → claims', async () => {
    const { verifier } = setup();
    const claims = await verifier.verify(await sign(k1, { roles: 'x' }, { iat }));
    expect(claims.sub).toBe('user-1');
    expect(claims.iss).toBe(ISSUER);
    expect(claims.roles).toBe('x');
  });

  test('typ JWT, at+jwt, application/jwt and absent are accepted; others are not', async () => {
    const { verifier } = setup();
    for (const typ of ['JWT', 'at+jwt', 'application/at+JWT', '']) {
      expect((await verifier.verify(await sign(k1, {}, { iat, typ }))).sub).toBe('user-1');
    }
    expect(await reason(verifier.verify(await sign(k1, {}, { iat, typ: 'logout+jwt' })))).toBe('token type not accepted');
  });

  test('expired (beyond tolerance) → token expired; within tolerance → ok', async () => {
    const { c, verifier } = setup();
    const token = await sign(k1, {}, { iat, exp: iat + 60 });
    c.advance(63_000);
    expect((await verifier.verify(token)).sub).toBe('user-1');
    c.advance(3_000);
    const err = verifier.verify(token);
    expect(await reason(err)).toBe('token expired');
  });

  test('nbf in the future → token not yet valid (transient)', async () => {
    const { verifier } = setup();
    try {
      await verifier.verify(await sign(k1, { nbf: iat + 60 }, { iat }));
      throw new Error('accepted');
    } catch (err) {
      expect((err as Error).message).toBe('token not yet valid');
      expect(isPermanentFailure(err)).toBe(false);
    }
  });

  test('missing exp → rejected', async () => {
    const { verifier } = setup();
    expect(await reason(verifier.verify(await sign(k1, {}, { iat, exp: null })))).toBe('token has no expiry');
  });

  test('wrong issuer, wrong audience', async () => {
    const { verifier } = setup();
    expect(await reason(verifier.verify(await sign(k1, { iss: 'http://evil.test' }, { iat })))).toBe('issuer mismatch');
    expect(await reason(verifier.verify(await sign(k1, { iss: `${ISSUER}/` }, { iat })))).toBe('issuer mismatch');
    expect(await reason(verifier.verify(await sign(k1, { aud: 'someone-else' }, { iat })))).toBe('audience mismatch');
  });

  test('audience not checked when none configured', async () => {
    const { verifier } = setup({ audience: [] });
    expect((await verifier.verify(await sign(k1, { aud: 'anyone' }, { iat }))).aud).toBe('anyone');
  });

  test('alg none is rejected, even if configured', async () => {
    const { verifier } = setup({ algorithms: ['RS256', 'none'] });
    const unsigned = new UnsecuredJWT({ iss: ISSUER, aud: 'client-1', sub: 'x' }).setIssuedAt(iat).setExpirationTime(iat + 60).encode();
    expect(await reason(verifier.verify(unsigned))).toBe('malformed token'); // empty signature segment
    const withSig = `${unsigned}AAAA`;
    expect(await reason(verifier.verify(withSig))).toBe('algorithm not allowed');
  });

  test('HS256 signed with the RSA public key bytes is rejected, even if configured', async () => {
    const { verifier } = setup({ algorithms: ['RS256', 'HS256'] });
    const pem = new TextEncoder().encode(await exportSPKI(k1.publicKey));
    const forged = await new SignJWT({ iss: ISSUER, aud: 'client-1', sub: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .sign(pem);
    expect(await reason(verifier.verify(forged))).toBe('algorithm not allowed');
    expect(() => createJwtVerifier({ issuer: ISSUER, algorithms: ['HS256', 'none'], clockToleranceSec: 0, jwks: {} as JwksCache })).toThrow(TypeError);
  });

  test('tampered payload → signature invalid', async () => {
    const { verifier } = setup();
    const [h, , s] = (await sign(k1, {}, { iat })).split('.');
    const evil = Buffer.from(JSON.stringify({ iss: ISSUER, aud: 'client-1', sub: 'admin', exp: iat + 3600 })).toString('base64url');
    expect(await reason(verifier.verify(`${h}.${evil}.${s}`))).toBe('signature invalid');
  });

  test('signed by a key the IdP does not publish → unknown signing key (transient)', async () => {
    const { verifier } = setup();
    try {
      await verifier.verify(await sign(other, {}, { iat }));
      throw new Error('accepted');
    } catch (err) {
      expect((err as Error).message).toBe('unknown signing key');
      expect(isPermanentFailure(err)).toBe(false);
    }
  });

  test('a known kid with a foreign signature → signature invalid', async () => {
    const { verifier } = setup();
    expect(await reason(verifier.verify(await sign(other, {}, { iat, kid: 'k1' })))).toBe('signature invalid');
  });

  test('truncated, garbage, oversized → rejected before crypto', async () => {
    const { idp, verifier } = setup();
    const token = await sign(k1, {}, { iat });
    expect(await reason(verifier.verify(token.slice(0, token.lastIndexOf('.'))))).toBe('malformed token');
    expect(await reason(verifier.verify(token.slice(0, -10)))).toBe('signature invalid');
    expect(await reason(verifier.verify('garbage'))).toBe('malformed token');
    expect(await reason(verifier.verify('a.b.c'))).toBe('malformed token');
    expect(await reason(verifier.verify('!!!.???.***'))).toBe('malformed token');
    expect(await reason(verifier.verify(`${token}${'A'.repeat(5000)}`))).toBe('token too large');
    expect(idp.state.calls).toBeLessThanOrEqual(1);
  });

  test('error descriptions never contain the token', async () => {
    const { verifier } = setup();
    const token = await sign(k1, { iss: 'http://evil.test' }, { iat });
    try {
      await verifier.verify(token);
    } catch (err) {
      const e = err as ZitAuthError;
      expect(JSON.stringify(e.toBody())).not.toContain(token.split('.')[1]!);
    }
  });
});
