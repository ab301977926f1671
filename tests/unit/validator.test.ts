import { describe, expect, test } from 'bun:test';
import { IdpBadResponse, IdpUnavailable, InvalidToken } from '../../src/errors.ts';
import { classifyToken, isJwtShaped, isOpaqueShaped, type JwtShaped, type OpaqueShaped } from '../../src/tokens/format.ts';
import { normalizeIntrospection } from '../../src/tokens/introspection.ts';
import { JwksCache } from '../../src/tokens/jwks.ts';
import { TokenValidator } from '../../src/tokens/validator.ts';
import { createJwtVerifier } from '../../src/tokens/verifier.ts';
import { clock, fakeJwks, ISSUER, makeKey, reasonOf, shaped, sign, T0 } from './_tokens-helpers.ts';

const [k1, k2] = await Promise.all([makeKey('k1'), makeKey('k2')]);
const iat = T0 / 1000;

function setup(opts: { introspect?: (t: string) => Promise<Record<string, unknown>>; cacheSize?: number } = {}) {
  const c = clock();
  const idp = fakeJwks([k1]);
  const jwks = new JwksCache({ jwksUri: 'http://idp.test/oauth/v2/keys', fetch: idp.fetch, timeoutMs: 1000, minRefreshIntervalMs: 50 });
  const verifier = createJwtVerifier({ issuer: ISSUER, audience: ['client-1'], algorithms: ['RS256'], clockToleranceSec: 0, jwks, now: c.now });
  let verifies = 0;
  const counting = { verify: (t: JwtShaped) => (verifies++, verifier.verify(t)), get keyEpoch() { return verifier.keyEpoch; } };
  const validator = new TokenValidator({
    verifier: counting,
    cacheSize: opts.cacheSize ?? 100,
    negativeTtlMs: 5_000,
    introspectionTtlSec: 60,
    now: c.now,
    ...(opts.introspect ? { introspect: opts.introspect } : {}),
  });
  return { c, idp, jwks, validator, verifies: () => verifies };
}

/** A string the test knows to be b64token-shaped. */
function opaque(token: string): OpaqueShaped {
  if (!isOpaqueShaped(token)) throw new Error('test token is not opaque-shaped');
  return token;
}

function reasonSync(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof InvalidToken) return err.reason;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('format', () => {
  test('shapes', () => {
    expect(isJwtShaped('a.b.c')).toBe(true);
    expect(isJwtShaped('a.b.')).toBe(false);
    expect(isJwtShaped('a.b')).toBe(false);
    expect(isOpaqueShaped('abc-._~+/==')).toBe(true);
    expect(isOpaqueShaped('a b')).toBe(false);
    expect(classifyToken('a.b.c')).toBe('jwt');
    expect(classifyToken('opaque_Token-123')).toBe('opaque');
    expect(() => classifyToken('')).toThrow(InvalidToken);
    expect(reasonSync(() => classifyToken(''))).toBe('malformed');
    expect(reasonSync(() => classifyToken('x'.repeat(9000)))).toBe('too_large');
    expect(reasonSync(() => classifyToken('bad"quote'))).toBe('malformed');
    expect(reasonSync(() => classifyToken('josé@exämple.com'))).toBe('malformed');
  });
});

describe('normalizeIntrospection', () => {
  test('active response → claims without active/token_type', () => {
    const claims = normalizeIntrospection({ active: true, token_type: 'Bearer', sub: 'u', aud: ['a', 'b'], exp: 10, scope: 'openid', client_id: 'c', 'urn:zitadel:iam:org:project:roles': { r: {} } });
    expect(claims).toEqual({ sub: 'u', aud: ['a', 'b'], exp: 10, scope: 'openid', client_id: 'c', 'urn:zitadel:iam:org:project:roles': { r: {} } });
  });
  test('inactive → InvalidToken("token inactive"); malformed → IdpBadResponse', () => {
    expect(reasonSync(() => normalizeIntrospection({ active: false }))).toBe('inactive');
    expect(reasonSync(() => normalizeIntrospection({ active: 'true' }))).toBe('inactive');
    expect(() => normalizeIntrospection([])).toThrow(IdpBadResponse);
    expect(() => normalizeIntrospection({ active: true, exp: '10' })).toThrow(IdpBadResponse);
    expect(() => normalizeIntrospection({ active: true, aud: [1] })).toThrow(IdpBadResponse);
  });
});

describe('TokenValidator', () => {
  test('JWT: verified once, then served from cache until exp', async () => {
    const { c, validator, verifies } = setup();
    const token = await sign(k1, {}, { iat, exp: iat + 60 });
    const first = await validator.validate(token);
    expect(first.sub).toBe('user-1');
    expect(await validator.validate(token)).toBe(first);
    expect(validator.cached(token)).toBe(first);
    expect(verifies()).toBe(1);
    expect(Object.isFrozen(first)).toBe(true);
    c.advance(60_000);
    expect(validator.cached(token)).toBeUndefined();
    expect(await reasonOf(() => validator.validate(token))).toBe('expired');
    expect(verifies()).toBe(2);
  });

  test('validateJwt: synchronous once the key is known (claims returned, failures thrown)', async () => {
    const { validator } = setup();
    const [a, b] = await Promise.all([sign(k1, { jti: 'a' }, { iat }), sign(k1, { jti: 'b' }, { iat })]);
    const first = validator.validateJwt(a);
    expect(first).toBeInstanceOf(Promise); // the key set loads
    await first;
    const second = validator.validateJwt(b);
    expect(second).not.toBeInstanceOf(Promise);
    expect((second as { jti?: string }).jti).toBe('b');
    expect(validator.validateJwt(b)).toBe(second); // cache hit, the same frozen object
    const bad = shaped(b.slice(0, -4) + 'AAAA');
    expect(() => validator.validateJwt(bad)).toThrow(InvalidToken);
    expect(() => validator.validateJwt(bad)).toThrow(InvalidToken); // from the negative cache
  });

  test('full cache: a new token is stored on its second verification, and one-off tokens evict nothing', async () => {
    const { validator, verifies } = setup({ cacheSize: 2 });
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map((i) => sign(k1, { jti: `t${i}` }, { iat })));
    await validator.validate(a!);
    await validator.validate(b!); // the cache is full now
    await validator.validate(c!); // first sight: verified, not stored
    expect(validator.cached(c!)).toBeUndefined();
    expect(validator.cached(a!)).toBeDefined();
    await validator.validate(d!); // another one-off
    expect([validator.cached(a!), validator.cached(b!)].every((x) => x !== undefined)).toBe(true);
    await validator.validate(c!); // second sight: verified again, stored
    expect(validator.cached(c!)).toBeDefined();
    await validator.validate(c!);
    expect(verifies()).toBe(5);
    expect(validator.stats.cache).toMatchObject({ notAdmitted: 2, evictions: 1, size: 2 });
  });

  test('concurrent first requests for one opaque token share one introspection', async () => {
    let calls = 0;
    const { validator } = setup({
      introspect: async () => (calls++, await Bun.sleep(5), { active: true, sub: 'svc', exp: iat + 3600 }),
    });
    const all = await Promise.all(Array.from({ length: 20 }, () => validator.validate('opaqueTokenValue123')));
    expect(calls).toBe(1);
    expect(all.every((c) => c === all[0] && c.sub === 'svc')).toBe(true);
    // Then the result is cached: no second call.
    expect(await validator.validateOpaque(opaque('opaqueTokenValue123'))).toBe(all[0]!);
    expect(calls).toBe(1);
  });

  test('a branded token skips the shape scan but not the length bound', async () => {
    const { validator, verifies } = setup();
    const token = await sign(k1, {}, { iat });
    expect((await validator.validateJwt(token)).sub).toBe('user-1');
    const huge = `${'x'.repeat(9000)}.a.b`;
    if (!isJwtShaped(huge)) throw new Error('unreachable');
    expect(await reasonOf(() => validator.validateJwt(huge))).toBe('too_large');
    expect(await reasonOf(() => validator.validateOpaque(opaque('y'.repeat(9000))))).toBe('too_large');
    expect(verifies()).toBe(1);
  });

  test('negative cache: junk signatures cost one verification per TTL', async () => {
    const { c, validator, verifies } = setup();
    const token = (await sign(k1, {}, { iat })).slice(0, -4) + 'AAAA';
    expect(await reasonOf(() => validator.validate(token))).toBe('bad_signature');
    expect(await reasonOf(() => validator.validate(token))).toBe('bad_signature');
    expect(verifies()).toBe(1);
    expect(validator.stats.negative.hits).toBe(1);
    c.advance(5_000);
    await reasonOf(() => validator.validate(token));
    expect(verifies()).toBe(2);
  });

  test('transient failures (nbf, iat ahead, unknown key) are not negatively cached', async () => {
    const { c, validator, verifies } = setup();
    const early = await sign(k1, { nbf: iat + 2 }, { iat });
    expect(await reasonOf(() => validator.validate(early))).toBe('not_yet_valid');
    const ahead = await sign(k1, {}, { iat: iat + 3 });
    expect(await reasonOf(() => validator.validate(ahead))).toBe('issued_in_future');
    c.advance(3_000);
    expect((await validator.validate(early)).sub).toBe('user-1');
    expect((await validator.validate(ahead)).sub).toBe('user-1');
    expect(verifies()).toBe(4);
  });

  test('format failures are rejected without verification', async () => {
    const { validator, verifies } = setup();
    expect(await reasonOf(() => validator.validate('has space'))).toBe('malformed');
    expect(await reasonOf(() => validator.validate(''))).toBe('malformed');
    expect(await reasonOf(() => validator.validate('山田太郎'))).toBe('malformed');
    expect(await reasonOf(() => validator.validate('x'.repeat(10_000)))).toBe('too_large');
    expect(verifies()).toBe(0);
  });

  test('opaque token without introspection → opaque_unsupported', async () => {
    const { validator } = setup();
    const err = await validator.validate('opaqueTokenValue123').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidToken);
    expect((err as InvalidToken).reason).toBe('opaque_unsupported');
  });

  test('opaque token: introspected once, cached up to min(exp, ttl)', async () => {
    let calls = 0;
    const { c, validator } = setup({
      introspect: async () => (calls++, { active: true, sub: 'svc', client_id: 'c1', exp: iat + 3600, scope: 'openid', token_type: 'Bearer' }),
    });
    const claims = await validator.validate('opaqueTokenValue123');
    expect(claims).toEqual({ sub: 'svc', client_id: 'c1', exp: iat + 3600, scope: 'openid' });
    await validator.validate('opaqueTokenValue123');
    expect(calls).toBe(1);
    c.advance(60_000); // ttl reached before exp
    await validator.validate('opaqueTokenValue123');
    expect(calls).toBe(2);
  });

  test('opaque token: exp before ttl bounds the cache; inactive is negatively cached', async () => {
    let calls = 0;
    let active = true;
    const { c, validator } = setup({ introspect: async () => (calls++, { active, exp: iat + 10 }) });
    await validator.validate('tok');
    c.advance(10_000);
    active = false;
    expect(await reasonOf(() => validator.validate('tok'))).toBe('inactive');
    expect(await reasonOf(() => validator.validate('tok'))).toBe('inactive');
    expect(calls).toBe(2);
  });

  test('introspection outage propagates and is not cached', async () => {
    let calls = 0;
    const { validator } = setup({
      introspect: async () => {
        calls++;
        throw new IdpUnavailable('identity provider unreachable', { status: 503, retryAfter: 5 });
      },
    });
    expect(await validator.validate('tok').catch((e: unknown) => e)).toBeInstanceOf(IdpUnavailable);
    expect(await validator.validate('tok').catch((e: unknown) => e)).toBeInstanceOf(IdpUnavailable);
    expect(calls).toBe(2);
  });

  test('a key removed from the JWKS invalidates cached results', async () => {
    const { idp, jwks, validator } = setup();
    const token = await sign(k1, {}, { iat });
    await validator.validate(token);
    idp.state.keys = [k2];
    await Bun.sleep(60);
    await jwks.refresh();
    expect(validator.cached(token)).toBeUndefined();
    expect(await reasonOf(() => validator.validate(token))).toBe('unknown_key');
  });
});
