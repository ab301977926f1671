import { describe, expect, test } from 'bun:test';
import { IdpBadResponse, IdpUnavailable, InvalidToken } from '../../src/errors.ts';
import { classifyToken, isJwtShaped, isOpaqueShaped } from '../../src/tokens/format.ts';
import { normalizeIntrospection } from '../../src/tokens/introspection.ts';
import { JwksCache } from '../../src/tokens/jwks.ts';
import { TokenValidator } from '../../src/tokens/validator.ts';
import { createJwtVerifier } from '../../src/tokens/verifier.ts';
import { clock, fakeJwks, ISSUER, makeKey, sign, T0 } from './_tokens-helpers.ts';

const [k1, k2] = await Promise.all([makeKey('k1'), makeKey('k2')]);
const iat = T0 / 1000;

function setup(opts: { introspect?: (t: string) => Promise<Record<string, unknown>>; cacheSize?: number } = {}) {
  const c = clock();
  const idp = fakeJwks([k1]);
  const jwks = new JwksCache({ jwksUri: 'http://idp.test/oauth/v2/keys', fetch: idp.fetch, timeoutMs: 1000, now: c.now });
  const verifier = createJwtVerifier({ issuer: ISSUER, audience: ['client-1'], algorithms: ['RS256'], clockToleranceSec: 0, jwks, now: c.now });
  let verifies = 0;
  const counting = { verify: (t: string) => (verifies++, verifier.verify(t)), get keyEpoch() { return verifier.keyEpoch; } };
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

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
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
    expect(() => classifyToken('x'.repeat(9000))).toThrow('token too large');
    expect(() => classifyToken('bad"quote')).toThrow('malformed token');
  });
});

describe('normalizeIntrospection', () => {
  test('active response → claims without active/token_type', () => {
    const claims = normalizeIntrospection({ active: true, token_type: 'Bearer', sub: 'u', aud: ['a', 'b'], exp: 10, scope: 'openid', client_id: 'c', 'urn:zitadel:iam:org:project:roles': { r: {} } });
    expect(claims).toEqual({ sub: 'u', aud: ['a', 'b'], exp: 10, scope: 'openid', client_id: 'c', 'urn:zitadel:iam:org:project:roles': { r: {} } });
  });
  test('inactive → InvalidToken("token inactive"); malformed → IdpBadResponse', () => {
    expect(() => normalizeIntrospection({ active: false })).toThrow('token inactive');
    expect(() => normalizeIntrospection({ active: 'true' })).toThrow(InvalidToken);
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
    expect(await reason(validator.validate(token))).toBe('token expired');
    expect(verifies()).toBe(2);
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
    expect(await validator.validate('opaqueTokenValue123')).toBe(all[0]!);
    expect(calls).toBe(1);
  });

  test('a kind given by the caller skips the shape scan but not the length bound', async () => {
    const { validator, verifies } = setup();
    const token = await sign(k1, {}, { iat });
    expect((await validator.validate(token, 'jwt')).sub).toBe('user-1');
    expect(await reason(validator.validate('x'.repeat(9000), 'jwt'))).toBe('token too large');
    expect(verifies()).toBe(1);
  });

  test('negative cache: junk signatures cost one verification per TTL', async () => {
    const { c, validator, verifies } = setup();
    const token = (await sign(k1, {}, { iat })).slice(0, -4) + 'AAAA';
    expect(await reason(validator.validate(token))).toBe('signature invalid');
    expect(await reason(validator.validate(token))).toBe('signature invalid');
    expect(verifies()).toBe(1);
    expect(validator.stats.negative.hits).toBe(1);
    c.advance(5_000);
    await reason(validator.validate(token));
    expect(verifies()).toBe(2);
  });

  test('transient failures (nbf) are not negatively cached', async () => {
    const { c, validator, verifies } = setup();
    const token = await sign(k1, { nbf: iat + 2 }, { iat });
    expect(await reason(validator.validate(token))).toBe('token not yet valid');
    c.advance(2_000);
    expect((await validator.validate(token)).sub).toBe('user-1');
    expect(verifies()).toBe(2);
  });

  test('format failures are rejected without verification', async () => {
    const { validator, verifies } = setup();
    expect(await reason(validator.validate('has space'))).toBe('malformed token');
    expect(await reason(validator.validate('x'.repeat(10_000)))).toBe('token too large');
    expect(verifies()).toBe(0);
  });

  test('opaque token without introspection → explanatory InvalidToken', async () => {
    const { validator } = setup();
    expect(await reason(validator.validate('opaqueTokenValue123'))).toBe('opaque tokens need introspection (set ZITAUTH_INTROSPECTION_KEY_FILE)');
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
    expect(await reason(validator.validate('tok'))).toBe('token inactive');
    expect(await reason(validator.validate('tok'))).toBe('token inactive');
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
    await reason(validator.validate('tok'));
    await reason(validator.validate('tok'));
    expect(calls).toBe(2);
  });

  test('a key removed from the JWKS invalidates cached results', async () => {
    const { c, idp, jwks, validator } = setup();
    const token = await sign(k1, {}, { iat });
    await validator.validate(token);
    idp.state.keys = [k2];
    c.advance(60_000);
    await jwks.refresh();
    expect(validator.cached(token)).toBeUndefined();
    expect(await reason(validator.validate(token))).toBe('unknown signing key');
  });
});
