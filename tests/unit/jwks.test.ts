/**
 * JwksCache: key import and selection, and the refresh rules (issue 11 item 3), on real time with
 * short intervals — no injected clock, since timing is the point. Assertions are on outcomes and
 * fetch counts, never on durations.
 */
import { describe, expect, test } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { IdpBadResponse, IdpTimeout, IdpUnavailable, InvalidToken, type ZitAuthError } from '../../src/errors.ts';
import { algorithmSpec, type AlgorithmSpec } from '../../src/tokens/algorithms.ts';
import { JwksCache, MIN_HONOURED_MAX_AGE_MS, type JwksCacheOptions } from '../../src/tokens/jwks.ts';
import { failureOf, fakeJwks, makeKey, reasonOf } from './_tokens-helpers.ts';

const [k1, k2] = await Promise.all([makeKey('k1'), makeKey('k2')]);
const spec = (alg: string): AlgorithmSpec => algorithmSpec(alg)!;
const RS256 = spec('RS256');
const INTERVAL = 150;

function setup(keys: { jwk: unknown }[] = [k1], opts: Partial<JwksCacheOptions> = {}) {
  const idp = fakeJwks([]);
  idp.state.keys = keys;
  const events: boolean[] = [];
  const failures: ZitAuthError[] = [];
  const jwks = new JwksCache({
    jwksUri: 'http://idp.test/oauth/v2/keys',
    fetch: idp.fetch,
    timeoutMs: 1000,
    minRefreshIntervalMs: INTERVAL,
    onRefresh: (ok) => events.push(ok),
    onRefreshFailed: (err) => failures.push(err),
    ...opts,
  });
  return { idp, jwks, events, failures };
}

const jwkOf = (key: { export(o: { format: 'jwk' }): unknown }, extra: Record<string, unknown>) => ({ jwk: { ...(key.export({ format: 'jwk' }) as object), ...extra } });

describe('JwksCache: loading and selection', () => {
  test('loads lazily; a known kid is then selected synchronously without refetching', async () => {
    const { idp, jwks, events } = setup();
    expect(jwks.ready).toBe(false);
    expect(jwks.select('k1', RS256)).toBeUndefined();
    const key = await jwks.selectAfterRefresh('k1', RS256);
    expect(key.type).toBe('public');
    expect(jwks.select('k1', RS256)).toBe(key);
    expect(idp.state.calls).toBe(1);
    expect(jwks.ready && jwks.isFresh()).toBe(true);
    expect(jwks.stats).toEqual({ refreshes: 1, failures: 0 });
    expect(events).toEqual([true]);
  });

  test('single flight: 100 concurrent first lookups share one fetch', async () => {
    const { idp, jwks } = setup();
    let open!: () => void;
    idp.state.gate = new Promise<void>((r) => (open = r));
    const all = Promise.all(Array.from({ length: 100 }, () => jwks.selectAfterRefresh('k1', RS256)));
    open();
    await all;
    expect(idp.state.calls).toBe(1);
  });

  test('an unchanged JWK keeps its KeyObject across refreshes', async () => {
    const { jwks } = setup([k1, k2]);
    await jwks.refresh();
    const before = jwks.select('k1', RS256);
    await jwks.refresh();
    expect(jwks.select('k1', RS256)).toBe(before);
  });

  test('the kid names a key for another algorithm → algorithm (final, no refetch)', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { idp, jwks } = setup([k1, jwkOf(ec.publicKey, { kid: 'ec', alg: 'ES256' })]);
    await jwks.refresh();
    expect(await reasonOf(() => jwks.select('k1', spec('PS256')))).toBe('algorithm'); // k1 says alg RS256
    expect(await reasonOf(() => jwks.select('ec', RS256))).toBe('algorithm'); // kty EC
    expect(await reasonOf(() => jwks.select('ec', spec('ES384')))).toBe('algorithm'); // crv P-256
    expect(jwks.select('ec', spec('ES256'))?.asymmetricKeyType).toBe('ec');
    expect(idp.state.calls).toBe(1);
  });

  test('a JWK without alg serves every algorithm of its key type (as jose selects)', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { jwks } = setup([jwkOf(rsa.publicKey, { kid: 'any' })]);
    await jwks.refresh();
    for (const alg of ['RS256', 'RS512', 'PS256', 'PS384']) expect(jwks.select('any', spec(alg))).toBeDefined();
  });

  test('token without kid: the one fitting key is used; several fitting keys → unknown_key', async () => {
    const ed = generateKeyPairSync('ed25519');
    const { jwks } = setup([k1, k2, jwkOf(ed.publicKey, { kid: 'ed' })]);
    await jwks.refresh();
    expect(jwks.select(undefined, spec('EdDSA'))?.asymmetricKeyType).toBe('ed25519');
    expect(await reasonOf(() => jwks.select(undefined, RS256))).toBe('unknown_key');
  });

  test('keys that cannot verify are ignored, listed, and refused by kid without a refetch', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const big = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const x25519 = generateKeyPairSync('x25519');
    const { idp, jwks } = setup([
      jwkOf(big.publicKey, { kid: 'enc', use: 'enc' }),
      jwkOf(big.publicKey, { kid: 'signonly', key_ops: ['sign'] }),
      jwkOf(big.publicKey, { kid: 'dupops', key_ops: ['verify', 'verify'] }),
      { jwk: { ...(big.privateKey.export({ format: 'jwk' }) as object), kid: 'private' } },
      jwkOf(small.publicKey, { kid: 'short' }),
      jwkOf(x25519.publicKey, { kid: 'x25519' }),
      { jwk: { kty: 'oct', k: 'c2VjcmV0', kid: 'oct' } },
      { jwk: { kty: 'RSA', n: '!!', e: 'AQAB', kid: 'broken' } },
      { jwk: 'not an object' },
      k1,
    ]);
    await jwks.refresh();
    expect(jwks.ignoredKeys.map((k) => k.kid)).toEqual(['enc', 'signonly', 'dupops', 'private', 'short', 'x25519', 'oct', 'broken', undefined]);
    for (const kid of ['enc', 'signonly', 'dupops', 'private', 'short', 'oct', 'broken']) {
      expect(await reasonOf(() => jwks.select(kid, RS256))).toBe('algorithm');
    }
    expect(jwks.select('k1', RS256)).toBeDefined();
    expect(idp.state.calls).toBe(1);
  });
});

describe('JwksCache: refresh rules (issue 11 item 3)', () => {
  test('regression: a key published right after a fetch is learned by the next fetch, without failing the token', async () => {
    const { idp, jwks } = setup([k1]);
    await jwks.refresh();
    idp.state.keys = [k1, k2]; // the IdP rotated and signs with k2 at once
    expect(jwks.select('k2', RS256)).toBeUndefined();
    const key = await jwks.selectAfterRefresh('k2', RS256); // waits for the interval, does not fail
    expect(key).toBe(jwks.select('k2', RS256)!);
    expect(idp.state.calls).toBe(2);
  });

  test('a token arriving during a fetch that answers without its key waits for the following fetch', async () => {
    const { idp, jwks } = setup([k1]);
    await jwks.refresh();
    await Bun.sleep(INTERVAL);
    let open!: () => void;
    idp.state.gate = new Promise<void>((r) => (open = r));
    const first = jwks.refresh(); // fetch 2 answers from the key list as it is now: [k1]
    idp.state.keys = [k1, k2];
    const waiting = jwks.selectAfterRefresh('k2', RS256);
    idp.state.gate = undefined;
    open();
    await first;
    expect((await waiting).type).toBe('public');
    expect(idp.state.calls).toBe(3);
  });

  test('a token joining a fetch in flight is served by it when it brings the key', async () => {
    const { idp, jwks } = setup([k1]);
    await jwks.refresh();
    await Bun.sleep(INTERVAL);
    idp.state.keys = [k1, k2];
    let open!: () => void;
    idp.state.gate = new Promise<void>((r) => (open = r));
    const a = jwks.selectAfterRefresh('k2', RS256); // starts fetch 2
    const b = jwks.selectAfterRefresh('k2', RS256); // joins it
    open();
    await Promise.all([a, b]);
    expect(idp.state.calls).toBe(2);
  });

  test('junk kids: concurrent unknown kids share one fetch, one in flight, and end as unknown_key', async () => {
    const { idp, jwks } = setup([k1]);
    await jwks.refresh();
    const reasons = await Promise.all(Array.from({ length: 50 }, (_, i) => reasonOf(() => jwks.selectAfterRefresh(`junk-${i}-山田`, RS256))));
    expect(new Set(reasons)).toEqual(new Set(['unknown_key']));
    expect(idp.state.calls).toBe(2);
    expect(idp.state.maxInFlight).toBe(1);
  });

  test('a sustained junk-kid flood costs at most one fetch per interval', async () => {
    const { idp, jwks } = setup([k1]);
    await jwks.refresh();
    const started = performance.now();
    let i = 0;
    const workers = Array.from({ length: 8 }, async () => {
      while (performance.now() - started < 6 * INTERVAL) await reasonOf(() => jwks.selectAfterRefresh(`junk-${i++}`, RS256));
    });
    await Promise.all(workers);
    const elapsed = performance.now() - started;
    expect(i).toBeGreaterThan(8);
    // The first load, then at most one fetch start per interval (+1 for the window's edges).
    expect(idp.state.calls).toBeLessThanOrEqual(1 + Math.ceil(elapsed / INTERVAL) + 1);
    expect(idp.state.maxInFlight).toBe(1);
  });

  test('outage: known keys keep verifying, unknown kids get the 503, learning resumes when the IdP answers', async () => {
    const { idp, jwks, failures } = setup([k1]);
    await jwks.refresh();
    idp.state.mode = 'down';
    idp.state.keys = [k1, k2];
    const err = (await failureOf(() => jwks.selectAfterRefresh('k2', RS256))) as ZitAuthError;
    expect(err).toBeInstanceOf(IdpUnavailable);
    expect(err.status).toBe(503);
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
    expect(failures.length).toBe(1);
    expect(failures[0]).toBe(err);
    expect(jwks.select('k1', RS256)).toBeDefined(); // last good keys stay in use
    idp.state.mode = 'ok';
    // The first lookup after recovery learns the key (no back-off beyond the interval).
    expect((await jwks.selectAfterRefresh('k2', RS256)).type).toBe('public');
    expect(jwks.stats.failures).toBe(1);
  });

  test('a stale set is refreshed in the background; known kids do not wait', async () => {
    const { idp, jwks } = setup([k1], { maxAgeMs: INTERVAL });
    await jwks.refresh();
    await Bun.sleep(INTERVAL + 20);
    expect(jwks.isFresh()).toBe(false);
    idp.state.keys = [k1, k2];
    let open!: () => void;
    idp.state.gate = new Promise<void>((r) => (open = r));
    expect(jwks.select('k1', RS256)).toBeDefined(); // answered from the old set, refresh started
    expect(idp.state.calls).toBe(2);
    open();
    await jwks.refresh(); // joins the background refresh
    expect(idp.state.calls).toBe(2);
    expect(jwks.isFresh()).toBe(true);
    expect(jwks.select('k2', RS256)).toBeDefined();
  });

  test('a failed background refresh is reported and retried after a pause, not on every lookup', async () => {
    const { idp, jwks, failures } = setup([k1], { maxAgeMs: 3 * INTERVAL });
    await jwks.refresh();
    await Bun.sleep(3 * INTERVAL + 20);
    idp.state.mode = 'http500';
    jwks.select('k1', RS256);
    await Bun.sleep(20);
    expect(failures.map((e) => e.code)).toEqual(['IDP_UNAVAILABLE']);
    await Bun.sleep(INTERVAL + 20); // the interval has passed, the retry pause has not
    for (let i = 0; i < 20; i++) expect(jwks.select('k1', RS256)).toBeDefined();
    expect(idp.state.calls).toBe(2);
  });

  test('Cache-Control max-age shortens the refresh age within bounds', async () => {
    const cases: [string | undefined, number][] = [
      [undefined, 600_000],
      // What Zitadel sends (v2.71 with web keys, always on v4: internal/api/oidc/key.go).
      ['max-age=300, must-revalidate', 300_000],
      ['public, max-age=60', 60_000],
      ['must-revalidate, MAX-AGE="120"', 120_000],
      ['max-age=3600', 600_000],
      ['max-age=1', MIN_HONOURED_MAX_AGE_MS],
      ['no-store', MIN_HONOURED_MAX_AGE_MS],
    ];
    for (const [header, expected] of cases) {
      const { idp, jwks } = setup([k1], { maxAgeMs: 600_000 });
      if (header !== undefined) idp.state.headers = { 'cache-control': header };
      await jwks.refresh();
      expect([header, jwks.freshUntil! - jwks.lastRefreshAt!]).toEqual([header, expected]);
    }
  });

  test('a key gone from the refreshed set stops verifying and bumps keyEpoch; an added key does not', async () => {
    const { idp, jwks } = setup([k1]);
    await jwks.refresh();
    idp.state.keys = [k1, k2];
    await Bun.sleep(INTERVAL);
    await jwks.refresh();
    expect(jwks.keyEpoch).toBe(0);
    idp.state.keys = [k2];
    await Bun.sleep(INTERVAL);
    await jwks.refresh();
    expect(jwks.keyEpoch).toBe(1);
    expect(jwks.select('k1', RS256)).toBeUndefined();
    expect(await reasonOf(() => jwks.selectAfterRefresh('k1', RS256))).toBe('unknown_key');
  });

  test('a throwing observer does not break refreshes', async () => {
    const { jwks } = setup([k1], {
      onRefresh: () => {
        throw new Error('metrics down');
      },
    });
    await jwks.refresh();
    expect(jwks.select('k1', RS256)).toBeDefined();
  });
});

describe('JwksCache: IdP failures', () => {
  test('no keys + IdP down → 503 IdpUnavailable with retryAfter; retries are spaced by the interval', async () => {
    const { idp, jwks } = setup();
    idp.state.mode = 'down';
    const err = (await failureOf(() => jwks.selectAfterRefresh('k1', RS256))) as ZitAuthError;
    expect(err).toBeInstanceOf(IdpUnavailable);
    expect(err.status).toBe(503);
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
    await Promise.all(Array.from({ length: 20 }, () => failureOf(() => jwks.selectAfterRefresh('k1', RS256))));
    expect(idp.state.calls).toBe(2);
    idp.state.mode = 'ok';
    expect(await jwks.selectAfterRefresh('k1', RS256)).toBeDefined();
    expect(idp.state.calls).toBe(3);
  });

  test('timeout → IdpTimeout 503', async () => {
    const { idp, jwks } = setup();
    idp.state.mode = 'timeout';
    const err = (await failureOf(() => jwks.refresh())) as ZitAuthError;
    expect(err).toBeInstanceOf(IdpTimeout);
    expect(err.status).toBe(503);
  });

  test('a real timeout on a hanging endpoint maps to IdpTimeout', async () => {
    const hang = ((_: unknown, init?: RequestInit) =>
      new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as unknown as typeof fetch;
    const jwks = new JwksCache({ jwksUri: 'http://idp.test/keys', fetch: hang, timeoutMs: 20 });
    expect(await failureOf(() => jwks.refresh())).toBeInstanceOf(IdpTimeout);
  });

  test('HTTP 500 → 503 IdpUnavailable; garbage body → IdpBadResponse; never a jose or TypeError', async () => {
    const { idp, jwks } = setup();
    idp.state.mode = 'http500';
    const e1 = (await failureOf(() => jwks.refresh())) as ZitAuthError;
    expect(e1).toBeInstanceOf(IdpUnavailable);
    expect(e1.status).toBe(503);
    idp.state.mode = 'garbage';
    expect(await failureOf(() => jwks.refresh())).toBeInstanceOf(IdpBadResponse);
    const noKeys = new JwksCache({ jwksUri: 'http://idp.test/keys', fetch: (async () => Response.json({ keys: 'nope' })) as unknown as typeof fetch, timeoutMs: 1000 });
    expect(await failureOf(() => noKeys.refresh())).toBeInstanceOf(IdpBadResponse);
  });

  test('a kid the set does not have, after a successful fetch, is unknown_key (an InvalidToken)', async () => {
    const { jwks } = setup();
    const err = await failureOf(() => jwks.selectAfterRefresh('missing', RS256));
    expect(err).toBeInstanceOf(InvalidToken);
    expect((err as InvalidToken).reason).toBe('unknown_key');
  });
});
