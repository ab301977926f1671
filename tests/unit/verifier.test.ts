/**
 * The node:crypto JWT verifier: each header and claim rule by its rejection reason, every
 * supported algorithm, the synchronous hot path. The agreement with jose over a large corpus is
 * tests/unit/verifier-differential.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import { constants, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { InvalidToken, ZitAuthError } from '../../src/errors.ts';
import { SUPPORTED_ALGORITHMS, type SupportedAlgorithm } from '../../src/tokens/algorithms.ts';
import { anyOf, DEFAULT_MAX_LIFETIME_SEC, type AudiencePolicy } from '../../src/tokens/claims.ts';
import { isJwtShaped } from '../../src/tokens/format.ts';
import { JwksCache } from '../../src/tokens/jwks.ts';
import { createJwtVerifier, isPermanentFailure } from '../../src/tokens/verifier.ts';
import { clock, failureOf, fakeJwks, ISSUER, makeKey, reasonOf, shaped, sign, T0 } from './_tokens-helpers.ts';

const [k1, other] = await Promise.all([makeKey('k1'), makeKey('other')]);
const iat = T0 / 1000;

function setup(opts: { audience?: readonly string[] | AudiencePolicy; algorithms?: string[]; keys?: { jwk: unknown }[]; maxLifetimeSec?: number } = {}) {
  const c = clock();
  const idp = fakeJwks([k1]);
  if (opts.keys) idp.state.keys = opts.keys;
  const jwks = new JwksCache({ jwksUri: 'http://idp.test/oauth/v2/keys', fetch: idp.fetch, timeoutMs: 1000, minRefreshIntervalMs: 50 });
  const verifier = createJwtVerifier({
    issuer: ISSUER,
    audience: opts.audience ?? ['client-1'],
    algorithms: opts.algorithms ?? ['RS256'],
    clockToleranceSec: 5,
    jwks,
    maxTokenLength: 4096,
    maxLifetimeSec: opts.maxLifetimeSec,
    now: c.now,
  });
  return { c, idp, jwks, verifier };
}

/** Signs arbitrary header/claims JSON text with node:crypto (jose's SignJWT would refuse some of what tests need). */
function rawToken(header: string | object, claims: string | object, key: KeyObject, alg: SupportedAlgorithm): string {
  const enc = (v: string | object) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const input = `${enc(header)}.${enc(claims)}`;
  const hash = alg === 'EdDSA' || alg === 'Ed25519' ? null : `sha${alg.slice(2)}`;
  const opts =
    alg.startsWith('PS')
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 }
      : alg.startsWith('ES')
        ? { key, dsaEncoding: 'ieee-p1363' as const }
        : key;
  return `${input}.${cryptoSign(hash, Buffer.from(input), opts).toString('base64url')}`;
}

const rsaPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const claimsOf = (extra: object = {}) => ({ iss: ISSUER, sub: '山田太郎', aud: ['client-1'], iat, exp: iat + 3600, ...extra });
const rsaKeys = [{ jwk: { ...(rsaPair.publicKey.export({ format: 'jwk' }) as object), kid: 'raw', use: 'sig' } }];
const raw = (header: object | string, claims: object | string = claimsOf()) => shaped(rawToken(header, claims, rsaPair.privateKey, 'RS256'));

describe('createJwtVerifier: the synchronous hot path', () => {
  test('first token: a promise (the key set loads); then claims returned synchronously, no promise', async () => {
    const { verifier, idp } = setup();
    const token = await sign(k1, { name: 'José Ñúñez 🎉', 'urn:zitadel:iam:org:project:roles': { 管理者: { '1': 'zitauth.localhost' } } }, { iat });
    const first = verifier.verify(token);
    expect(first).toBeInstanceOf(Promise);
    expect((await first).name).toBe('José Ñúñez 🎉');
    const second = verifier.verify(token);
    expect(second).not.toBeInstanceOf(Promise);
    expect((second as { iss?: string }).iss).toBe(ISSUER);
    expect(idp.state.calls).toBe(1);
  });

  test('a synchronous failure is thrown, not returned as a promise', async () => {
    const { verifier } = setup();
    await verifier.verify(await sign(k1, {}, { iat }));
    const expired = await sign(k1, {}, { iat, exp: iat - 60 });
    expect(() => verifier.verify(expired)).toThrow(InvalidToken);
  });
});

describe('createJwtVerifier: every supported algorithm', () => {
  const pairs = {
    RSA: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    'P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    'P-384': generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    'P-521': generateKeyPairSync('ec', { namedCurve: 'P-521' }),
    Ed25519: generateKeyPairSync('ed25519'),
  };
  const pairFor = (alg: SupportedAlgorithm) =>
    alg.startsWith('R') || alg.startsWith('P') ? pairs.RSA : alg === 'ES256' ? pairs['P-256'] : alg === 'ES384' ? pairs['P-384'] : alg === 'ES512' ? pairs['P-521'] : pairs.Ed25519;
  const keys = Object.entries(pairs).map(([kid, p]) => ({ jwk: { ...(p.publicKey.export({ format: 'jwk' }) as object), kid } }));

  for (const alg of SUPPORTED_ALGORITHMS) {
    test(`${alg}: valid → claims; one flipped signature bit → bad_signature; not allowed → algorithm`, async () => {
      const { verifier } = setup({ algorithms: [...SUPPORTED_ALGORITHMS], keys });
      const pair = pairFor(alg);
      const kid = Object.entries(pairs).find(([, p]) => p === pair)![0];
      const token = rawToken({ alg, kid, typ: 'JWT' }, claimsOf({ email: 'josé@exämple.com' }), pair.privateKey, alg);
      expect((await verifier.verify(shaped(token))).email).toBe('josé@exämple.com');
      const sig = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
      sig[sig.length >> 1]! ^= 0x01;
      const tampered = `${token.slice(0, token.lastIndexOf('.') + 1)}${sig.toString('base64url')}`;
      expect(await reasonOf(() => verifier.verify(shaped(tampered)))).toBe('bad_signature');
      const narrow = setup({ algorithms: [alg === 'RS256' ? 'PS256' : 'RS256'], keys }).verifier;
      expect(await reasonOf(() => narrow.verify(shaped(token)))).toBe('algorithm');
    });
  }

  test('PS256 with a salt other than the hash length → bad_signature (RFC 7518 §3.5)', async () => {
    const { verifier } = setup({ algorithms: ['PS256'], keys: rsaKeys });
    const input = `${Buffer.from(JSON.stringify({ alg: 'PS256', kid: 'raw' })).toString('base64url')}.${Buffer.from(JSON.stringify(claimsOf())).toString('base64url')}`;
    const sig = cryptoSign('sha256', Buffer.from(input), { key: rsaPair.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 });
    expect(await reasonOf(() => verifier.verify(shaped(`${input}.${sig.toString('base64url')}`)))).toBe('bad_signature');
  });

  test('ES256 with a DER signature instead of R‖S → bad_signature (RFC 7518 §3.4)', async () => {
    const { verifier } = setup({ algorithms: ['ES256'], keys });
    const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'P-256' })).toString('base64url')}.${Buffer.from(JSON.stringify(claimsOf())).toString('base64url')}`;
    const der = cryptoSign('sha256', Buffer.from(input), pairs['P-256'].privateKey);
    expect(await reasonOf(() => verifier.verify(shaped(`${input}.${der.toString('base64url')}`)))).toBe('bad_signature');
  });

  test('an ES384 token on a P-256 key → algorithm (the curve must match the alg)', async () => {
    const { verifier } = setup({ algorithms: ['ES384'], keys });
    const token = rawToken({ alg: 'ES384', kid: 'P-256' }, claimsOf(), pairs['P-256'].privateKey, 'ES256');
    expect(await reasonOf(() => verifier.verify(shaped(token)))).toBe('algorithm');
  });
});

describe('createJwtVerifier: header rules', () => {
  test('typ JWT, at+jwt, application/at+JWT and absent are accepted; others → type', async () => {
    const { verifier } = setup();
    for (const typ of ['JWT', 'at+jwt', 'application/at+JWT', 'jwt', '']) {
      expect((await verifier.verify(await sign(k1, {}, { iat, typ }))).sub).toBe('user-1');
    }
    for (const typ of ['logout+jwt', 'application/', 'JOSE', 'text/jwt']) {
      expect(await reasonOf(async () => verifier.verify(await sign(k1, {}, { iat, typ })))).toBe('type');
    }
  });

  test('typ that is not a string → type', async () => {
    const { verifier } = setup({ keys: rsaKeys });
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw', typ: 7 })))).toBe('type');
  });

  test('any crit → header (RFC 7515 §4.1.11); b64 false or non-boolean → header (RFC 7797)', async () => {
    const { verifier } = setup({ keys: rsaKeys });
    await verifier.verify(raw({ alg: 'RS256', kid: 'raw' }));
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw', crit: ['exp'], exp: 1 })))).toBe('header');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw', crit: ['b64'], b64: true })))).toBe('header');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw', crit: [] })))).toBe('header');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw', b64: false })))).toBe('header');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw', b64: 'false' })))).toBe('header');
    expect(Object.keys(verifier.verify(raw({ alg: 'RS256', kid: 'raw', b64: true })))).toContain('iss');
  });

  test('alg none / None is rejected even if configured', async () => {
    const { verifier } = setup({ algorithms: ['RS256', 'none'] });
    const unsigned = new UnsecuredJWT({ iss: ISSUER, aud: 'client-1', sub: 'x' }).setIssuedAt(iat).setExpirationTime(iat + 60).encode();
    expect(await reasonOf(() => verifier.verify(shaped(`${unsigned}AAAA`)))).toBe('algorithm');
    const none = Buffer.from(JSON.stringify({ alg: 'None', kid: 'k1' })).toString('base64url');
    expect(await reasonOf(() => verifier.verify(shaped(`${none}${unsigned.slice(unsigned.indexOf('.'))}AAAA`)))).toBe('algorithm');
  });

  test('HS256 signed with the RSA public key bytes is rejected, even if configured', async () => {
    const { verifier } = setup({ algorithms: ['RS256', 'HS256'] });
    const pem = new TextEncoder().encode(await exportSPKI(k1.publicKey));
    const forged = await new SignJWT({ iss: ISSUER, aud: 'client-1', sub: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .sign(pem);
    expect(await reasonOf(() => verifier.verify(shaped(forged)))).toBe('algorithm');
    expect(() => createJwtVerifier({ issuer: ISSUER, algorithms: ['HS256', 'none'], clockToleranceSec: 0, jwks: {} as JwksCache })).toThrow(TypeError);
  });

  test('an embedded jwk / jku / x5u / x5c never selects the key: the attacker-signed token fails', async () => {
    const { verifier } = setup({ keys: rsaKeys });
    const evil = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const evilJwk = { ...(evil.publicKey.export({ format: 'jwk' }) as object), kid: 'raw' };
    for (const extra of [{ jwk: evilJwk }, { jku: 'http://evil.test/keys' }, { x5u: 'http://evil.test/cert' }, { x5c: ['MIIB'] }, { x5t: 'abc' }]) {
      const token = rawToken({ alg: 'RS256', kid: 'raw', ...extra }, claimsOf({ sub: 'admin' }), evil.privateKey, 'RS256');
      expect(await reasonOf(() => verifier.verify(shaped(token)))).toBe('bad_signature');
      const noKid = rawToken({ alg: 'RS256', ...extra }, claimsOf({ sub: 'admin' }), evil.privateKey, 'RS256');
      expect(await reasonOf(() => verifier.verify(shaped(noKid)))).toBe('bad_signature');
    }
  });

  test('header or claims that are JSON arrays, scalars, non-JSON or invalid UTF-8 → malformed', async () => {
    const { verifier } = setup({ keys: rsaKeys });
    expect(await reasonOf(() => verifier.verify(raw('["alg","RS256"]')))).toBe('malformed');
    expect(await reasonOf(() => verifier.verify(raw('"RS256"')))).toBe('malformed');
    expect(await reasonOf(() => verifier.verify(raw('{"alg":"RS256"')))).toBe('malformed');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw' }, '[1,2]')))).toBe('malformed');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw' }, 'null')))).toBe('malformed');
    const badUtf8 = Buffer.concat([Buffer.from('{"iss":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const input = `${Buffer.from('{"alg":"RS256","kid":"raw"}').toString('base64url')}.${badUtf8.toString('base64url')}`;
    const sig = cryptoSign('sha256', Buffer.from(input), rsaPair.privateKey).toString('base64url');
    expect(await reasonOf(() => verifier.verify(shaped(`${input}.${sig}`)))).toBe('malformed');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 42 })))).toBe('malformed');
  });

  test('duplicate member names: the last one counts (RFC 7519 §4), in header and claims', async () => {
    const { verifier } = setup({ keys: rsaKeys });
    const claims = `{"iss":"http://evil.test","iss":${JSON.stringify(ISSUER)},"aud":"client-1","exp":${iat + 60},"sub":"x"}`;
    expect((await verifier.verify(raw('{"alg":"none","alg":"RS256","kid":"raw"}', claims))).iss).toBe(ISSUER);
    expect(await reasonOf(() => verifier.verify(raw('{"alg":"RS256","alg":"none","kid":"raw"}', claims)))).toBe('algorithm');
  });

  test('base64url strictness: padding, a non-zero unused bit, a 4n+1 length → malformed', async () => {
    const { verifier } = setup();
    const token = await sign(k1, {}, { iat });
    await verifier.verify(token);
    const [h, p, s] = token.split('.') as [string, string, string];
    // RS256-2048 signatures are 342 characters: the last one carries 4 unused bits.
    const last = s.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) | 1]!;
    expect(twin).not.toBe(last);
    expect(Buffer.from(`${s.slice(0, -1)}${twin}`, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    expect(await reasonOf(() => verifier.verify(shaped(`${h}.${p}.${s.slice(0, -1)}${twin}`)))).toBe('malformed');
    // Padding never gets this far: '=' is outside the JWT shape (RFC 7515 §2), so no JwtShaped brand.
    expect(isJwtShaped(`${h}.${p}.${s}==`)).toBe(false);
    const toLength4nPlus1 = (seg: string) => seg + 'A'.repeat((1 - (seg.length % 4) + 4) % 4 || 4);
    expect(toLength4nPlus1(h).length % 4).toBe(1);
    expect(await reasonOf(() => verifier.verify(shaped(`${toLength4nPlus1(h)}.${p}.${s}`)))).toBe('malformed');
    expect(await reasonOf(() => verifier.verify(shaped(`${h}.${p}.${toLength4nPlus1(s)}`)))).toBe('malformed');
  });
});

describe('createJwtVerifier: claim rules', () => {
  test('expired beyond the tolerance → expired (permanent); within it → ok', async () => {
    const { c, verifier } = setup();
    const token = await sign(k1, {}, { iat, exp: iat + 60 });
    c.advance(64_000);
    expect((await verifier.verify(token)).sub).toBe('user-1');
    c.advance(1_000); // exp <= now - tolerance
    const err = await failureOf(() => verifier.verify(token));
    expect((err as InvalidToken).reason).toBe('expired');
    expect(isPermanentFailure(err)).toBe(true);
  });

  test('nbf in the future → not_yet_valid (transient); within the tolerance → ok', async () => {
    const { verifier } = setup();
    expect((await verifier.verify(await sign(k1, { nbf: iat + 5 }, { iat }))).sub).toBe('user-1');
    const err = await failureOf(async () => verifier.verify(await sign(k1, { nbf: iat + 60 }, { iat })));
    expect((err as InvalidToken).reason).toBe('not_yet_valid');
    expect(isPermanentFailure(err)).toBe(false);
  });

  test('regression (issue 11 item 10): iat ten years ahead → issued_in_future (transient)', async () => {
    const { verifier } = setup();
    expect((await verifier.verify(await sign(k1, {}, { iat: iat + 5 }))).sub).toBe('user-1');
    const err = await failureOf(async () => verifier.verify(await sign(k1, {}, { iat: iat + 10 * 365 * 86400, exp: iat + 3600 })));
    expect((err as InvalidToken).reason).toBe('issued_in_future');
    expect(isPermanentFailure(err)).toBe(false);
  });

  test('regression (issue 11 item 10): exp of 1e308, 1e400 (Infinity) or decades ahead → lifetime / malformed', async () => {
    const { verifier } = setup({ keys: rsaKeys });
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw' }, claimsOf({ exp: 1e308 }))))).toBe('lifetime');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw' }, claimsOf({ exp: iat + DEFAULT_MAX_LIFETIME_SEC + 6 }))))).toBe('lifetime');
    expect((await verifier.verify(raw({ alg: 'RS256', kid: 'raw' }, claimsOf({ exp: iat + DEFAULT_MAX_LIFETIME_SEC })))).sub).toBe('山田太郎');
    const inf = JSON.stringify(claimsOf()).replace(`"exp":${iat + 3600}`, '"exp":1e400');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw' }, inf)))).toBe('malformed');
    const negInf = JSON.stringify(claimsOf()).replace(`"iat":${iat}`, '"iat":-1e400');
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw' }, negInf)))).toBe('malformed');
    const short = setup({ keys: rsaKeys, maxLifetimeSec: 600 }).verifier;
    expect(await reasonOf(() => short.verify(raw({ alg: 'RS256', kid: 'raw' }, claimsOf({ exp: iat + 3600 }))))).toBe('lifetime');
  });

  test('missing exp → no_expiry; exp/nbf/iat/sub/jti of the wrong type → malformed', async () => {
    expect(await reasonOf(async () => setup().verifier.verify(await sign(k1, {}, { iat, exp: null })))).toBe('no_expiry');
    const { verifier } = setup({ keys: rsaKeys });
    expect(await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw' }, claimsOf({ exp: undefined }))))).toBe('no_expiry');
    for (const bad of [{ exp: String(iat + 60) }, { exp: null }, { nbf: 'soon' }, { iat: [iat] }, { sub: 42 }, { jti: {} }]) {
      expect([bad, await reasonOf(() => verifier.verify(raw({ alg: 'RS256', kid: 'raw' }, claimsOf(bad))))]).toEqual([bad, 'malformed']);
    }
  });

  test('issuer exact; audience by list, by policy, or unchecked; aud of the wrong type → malformed', async () => {
    const { verifier } = setup();
    expect(await reasonOf(async () => verifier.verify(await sign(k1, { iss: 'http://evil.test' }, { iat })))).toBe('issuer');
    expect(await reasonOf(async () => verifier.verify(await sign(k1, { iss: `${ISSUER}/` }, { iat })))).toBe('issuer');
    expect(await reasonOf(async () => verifier.verify(await sign(k1, { iss: undefined }, { iat })))).toBe('issuer');
    expect(await reasonOf(async () => verifier.verify(await sign(k1, { aud: 'someone-else' }, { iat })))).toBe('audience');
    expect(await reasonOf(async () => verifier.verify(await sign(k1, { aud: undefined }, { iat })))).toBe('audience');
    expect((await verifier.verify(await sign(k1, { aud: 'client-1' }, { iat }))).aud).toBe('client-1');

    const none = setup({ audience: [] }).verifier;
    expect((await none.verify(await sign(k1, { aud: 'anyone' }, { iat }))).aud).toBe('anyone');

    // The lead's rule "our own service user, by sub" as a pure policy.
    const ownServiceUser: AudiencePolicy = (aud, claims) => anyOf(['client-1'])(aud, claims) || claims.sub === '300000000000000004';
    const policy = setup({ audience: ownServiceUser }).verifier;
    expect((await policy.verify(await sign(k1, { aud: ['zitauth-m2m'], sub: '300000000000000004' }, { iat }))).sub).toBe('300000000000000004');
    expect(await reasonOf(async () => policy.verify(await sign(k1, { aud: ['zitauth-m2m'], sub: 'stranger' }, { iat })))).toBe('audience');

    const raws = setup({ keys: rsaKeys }).verifier;
    expect(await reasonOf(() => raws.verify(raw({ alg: 'RS256', kid: 'raw' }, claimsOf({ aud: [1, 'client-1'] }))))).toBe('malformed');
    expect(await reasonOf(() => raws.verify(raw({ alg: 'RS256', kid: 'raw' }, claimsOf({ aud: { 'client-1': true } }))))).toBe('malformed');
  });
});

describe('createJwtVerifier: keys and sizes', () => {
  test('tampered payload → bad_signature', async () => {
    const { verifier } = setup();
    const [h, , s] = (await sign(k1, {}, { iat })).split('.');
    const evil = Buffer.from(JSON.stringify({ iss: ISSUER, aud: 'client-1', sub: 'admin', exp: iat + 3600 })).toString('base64url');
    expect(await reasonOf(() => verifier.verify(shaped(`${h}.${evil}.${s}`)))).toBe('bad_signature');
  });

  test('signed by a key the IdP does not publish → unknown_key (transient), after one refetch', async () => {
    const { verifier, idp } = setup();
    await verifier.verify(await sign(k1, {}, { iat }));
    const err = await failureOf(async () => verifier.verify(await sign(other, {}, { iat })));
    expect((err as InvalidToken).reason).toBe('unknown_key');
    expect(isPermanentFailure(err)).toBe(false);
    expect(idp.state.calls).toBe(2);
  });

  test('a known kid with a foreign signature → bad_signature', async () => {
    const { verifier } = setup();
    expect(await reasonOf(async () => verifier.verify(await sign(other, {}, { iat, kid: 'k1' })))).toBe('bad_signature');
  });

  test('oversized → too_large, before any parsing or fetch', async () => {
    const { idp, verifier } = setup();
    const token = await sign(k1, {}, { iat });
    expect(await reasonOf(() => verifier.verify(shaped(`${token}${'A'.repeat(5000)}`)))).toBe('too_large');
    expect(idp.state.calls).toBe(0);
  });

  test('error descriptions and details never contain the token or its claims', async () => {
    const { verifier } = setup();
    const token = await sign(k1, { iss: 'http://evil.test', sub: '山田太郎\r\nX-Injected: 1' }, { iat });
    const err = (await failureOf(() => verifier.verify(token))) as ZitAuthError;
    const seen = JSON.stringify({ body: err.toBody(), detail: err.detail, message: err.message });
    expect(seen).not.toContain(token.split('.')[1]!);
    expect(seen).not.toContain('evil.test');
    expect(seen).not.toContain('山田');
  });
});
