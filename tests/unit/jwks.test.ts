import { describe, expect, test } from 'bun:test';
import { IdpBadResponse, IdpTimeout, IdpUnavailable, InvalidToken, ZitAuthError } from '../../src/errors.ts';
import { JwksCache } from '../../src/tokens/jwks.ts';
import { clock, fakeJwks, makeKey } from './_tokens-helpers.ts';

const [k1, k2] = await Promise.all([makeKey('k1'), makeKey('k2')]);
const header = (kid: string) => ({ alg: 'RS256', kid });

function setup(keys = [k1]) {
  const c = clock();
  const idp = fakeJwks(keys);
  const events: boolean[] = [];
  const jwks = new JwksCache({
    jwksUri: 'http://idp.test/oauth/v2/keys',
    fetch: idp.fetch,
    timeoutMs: 1000,
    cooldownMs: 30_000,
    maxAgeMs: 300_000,
    now: c.now,
    onRefresh: (ok) => events.push(ok),
  });
  return { c, idp, jwks, events };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('JwksCache', () => {
  test('loads lazily, resolves known kids without refetching', async () => {
    const { idp, jwks, events } = setup();
    expect(jwks.ready).toBe(false);
    expect(jwks.isFresh()).toBe(false);
    const key = await jwks.getKey(header('k1'));
    expect(key.type).toBe('public');
    await jwks.getKey(header('k1'));
    expect(idp.state.calls).toBe(1);
    expect(jwks.ready).toBe(true);
    expect(jwks.isFresh()).toBe(true);
    expect(jwks.stats).toEqual({ refreshes: 1, failures: 0 });
    expect(events).toEqual([true]);
  });

  test('unknown kid: one refetch, then cooldown suppresses further refetches', async () => {
    const { c, idp, jwks } = setup();
    await jwks.refresh();
    c.advance(31_000);
    const err = await rejection(jwks.getKey(header('nope')));
    expect(err).toBeInstanceOf(InvalidToken);
    expect((err as InvalidToken).message).toBe('unknown signing key');
    expect(idp.state.calls).toBe(2);
    for (let i = 0; i < 5; i++) await rejection(jwks.getKey(header('nope')));
    expect(idp.state.calls).toBe(2);
    c.advance(30_000);
    await rejection(jwks.getKey(header('nope')));
    expect(idp.state.calls).toBe(3);
  });

  test('single flight: 100 concurrent lookups share one fetch', async () => {
    const { idp, jwks } = setup();
    let open!: () => void;
    idp.state.gate = new Promise<void>((r) => (open = r));
    const all = Promise.all(Array.from({ length: 100 }, () => jwks.getKey(header('k1'))));
    open();
    await all;
    expect(idp.state.calls).toBe(1);
  });

  test('single flight for unknown kids after the cooldown', async () => {
    const { c, idp, jwks } = setup();
    await jwks.refresh();
    c.advance(60_000);
    await Promise.all(Array.from({ length: 50 }, () => rejection(jwks.getKey(header('nope')))));
    expect(idp.state.calls).toBe(2);
  });

  test('rotation: a new kid is found after one refetch; a removed kid is rejected', async () => {
    const { c, idp, jwks } = setup([k1]);
    await jwks.refresh();
    const epoch = jwks.keyEpoch;
    idp.state.keys = [k2];
    c.advance(30_000);
    await jwks.getKey(header('k2'));
    expect(idp.state.calls).toBe(2);
    expect(jwks.keyEpoch).toBe(epoch + 1);
    const err = await rejection(jwks.getKey(header('k1')));
    expect((err as Error).message).toBe('unknown signing key');
  });

  test('adding a key does not bump keyEpoch', async () => {
    const { idp, jwks } = setup([k1]);
    await jwks.refresh();
    idp.state.keys = [k1, k2];
    await jwks.refresh();
    expect(jwks.keyEpoch).toBe(0);
  });

  test('outage: known keys keep working, background refresh does not block', async () => {
    const { c, idp, jwks, events } = setup();
    await jwks.refresh();
    idp.state.mode = 'down';
    c.advance(400_000); // stale
    expect(jwks.isFresh()).toBe(false);
    expect((await jwks.getKey(header('k1'))).type).toBe('public');
    expect(idp.state.calls).toBe(2); // one background attempt
    await Bun.sleep(0);
    expect(jwks.stats.failures).toBe(1);
    expect(events).toEqual([true, false]);
    // Still within cooldown: no new background attempt per request.
    await jwks.getKey(header('k1'));
    expect(idp.state.calls).toBe(2);
    expect(jwks.ready).toBe(true);
  });

  test('stale refresh runs in the background and swaps in the new set', async () => {
    const { c, idp, jwks } = setup([k1]);
    await jwks.refresh();
    idp.state.keys = [k1, k2];
    c.advance(301_000);
    let open!: () => void;
    idp.state.gate = new Promise<void>((r) => (open = r));
    // Known kid answers while the refresh is still blocked.
    await jwks.getKey(header('k1'));
    expect(idp.state.calls).toBe(2);
    open();
    await jwks.refresh(); // joins the in-flight refresh
    expect(idp.state.calls).toBe(2);
    expect(jwks.isFresh()).toBe(true);
  });

  test('no keys + IdP down → 503 IdpUnavailable with retryAfter, and no request storm', async () => {
    const { c, idp, jwks } = setup();
    idp.state.mode = 'down';
    const err = (await rejection(jwks.getKey(header('k1')))) as ZitAuthError;
    expect(err).toBeInstanceOf(IdpUnavailable);
    expect(err.status).toBe(503);
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
    await rejection(jwks.getKey(header('k1')));
    expect(idp.state.calls).toBe(1);
    c.advance(2_000);
    const again = (await rejection(jwks.getKey(header('k1')))) as ZitAuthError;
    expect(again.retryAfter).toBe(3);
    idp.state.mode = 'ok';
    c.advance(3_000);
    await jwks.getKey(header('k1'));
    expect(idp.state.calls).toBe(2);
  });

  test('timeout → IdpTimeout 503', async () => {
    const { idp, jwks } = setup();
    idp.state.mode = 'timeout';
    const err = (await rejection(jwks.refresh())) as ZitAuthError;
    expect(err).toBeInstanceOf(IdpTimeout);
    expect(err.status).toBe(503);
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
  });

  test('a real timeout on a hanging endpoint maps to IdpTimeout', async () => {
    const hang = ((_: unknown, init?: RequestInit) =>
      new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as unknown as typeof fetch;
    const jwks = new JwksCache({ jwksUri: 'http://idp.test/keys', fetch: hang, timeoutMs: 20 });
    expect(await rejection(jwks.refresh())).toBeInstanceOf(IdpTimeout);
  });

  test('HTTP 500 → 503 IdpUnavailable; garbage body → IdpBadResponse; never jose errors', async () => {
    const { c, idp, jwks } = setup();
    idp.state.mode = 'http500';
    const e1 = (await rejection(jwks.refresh())) as ZitAuthError;
    expect(e1).toBeInstanceOf(IdpUnavailable);
    expect(e1.status).toBe(503);
    idp.state.mode = 'garbage';
    c.advance(60_000);
    expect(await rejection(jwks.refresh())).toBeInstanceOf(IdpBadResponse);
  });

  test('algorithms a JWKS cannot serve map to InvalidToken', async () => {
    const { jwks } = setup();
    const err = await rejection(jwks.getKey({ alg: 'HS256', kid: 'k1' }));
    expect(err).toBeInstanceOf(InvalidToken);
    expect((err as Error).message).toBe('algorithm not allowed');
  });
});
