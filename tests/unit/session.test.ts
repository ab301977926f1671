/**
 * Session mode's pieces on their own: the cookie, the cipher and store keys, the in-memory stores,
 * the CSRF rule, and the refresher (single flight, fenced lock, rejection vs outage).
 */
import { describe, expect, test } from 'bun:test';
import { SessionCookie } from '../../src/session/cookie.ts';
import { newSessionId, SessionCipher, storeKeyOf } from '../../src/session/cipher.ts';
import { checkCsrf } from '../../src/session/csrf.ts';
import { Refresher, type RefresherDeps } from '../../src/session/refresh.ts';
import type { SessionData } from '../../src/session/data.ts';
import { memoryStores } from '../../src/store/memory/index.ts';
import { CsrfRejected, IdpRejected, IdpUnavailable, SessionRequired, SessionUnavailable } from '../../src/errors.ts';
import type { TokenSet } from '../../src/idp/index.ts';

describe('SessionCookie', () => {
  test('production: __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', () => {
    const c = new SessionCookie({ secure: true, maxAgeSec: 3600 });
    const id = newSessionId();
    expect(c.set(id)).toBe(`__Host-zitauth_session=${id}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure`);
    expect(c.clear()).toBe('__Host-zitauth_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure');
    expect(c.read(`a=1; __Host-zitauth_session=${id}; b=2`)).toBe(id);
    // Only the exact name: a look-alike without the prefix is not our cookie.
    expect(c.read(`zitauth_session=${id}`)).toBeUndefined();
  });

  test('loopback development: no prefix, no Secure', () => {
    expect(new SessionCookie({ secure: false, maxAgeSec: 60 }).set('x')).toBe('zitauth_session=x; Path=/; Max-Age=60; HttpOnly; SameSite=Lax');
  });
});

describe('session ids and the cipher', () => {
  test('ids are 256 random bits; store keys are their SHA-256 and reveal nothing', () => {
    const ids = new Set(Array.from({ length: 1000 }, newSessionId));
    expect(ids.size).toBe(1000);
    const id = [...ids][0]!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const key = storeKeyOf(id)!;
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toBe(id);
    for (const bad of ['', 'short', `${id}x`, `${id.slice(0, 42)}!`, '山田'.repeat(20)]) expect(storeKeyOf(bad)).toBeUndefined();
  });

  test('sealed values open only with the same secret and under the same store key', () => {
    const a = new SessionCipher('a-secret-0123456789-0123456789-abcd');
    const b = new SessionCipher('b-secret-0123456789-0123456789-abcd');
    const text = JSON.stringify({ name: '山田太郎', token: 'eyJ…' });
    const sealed = a.seal('key-1', text);
    expect(sealed).not.toContain('山田');
    expect(a.open('key-1', sealed)).toBe(text);
    expect(a.open('key-2', sealed)).toBeUndefined(); // copied under another session's key
    expect(b.open('key-1', sealed)).toBeUndefined(); // another secret
    const flipped = Buffer.from(sealed, 'base64url');
    flipped[20] = flipped[20]! ^ 1;
    expect(a.open('key-1', flipped.toString('base64url'))).toBeUndefined();
    expect(a.open('key-1', 'AAAA')).toBeUndefined();
    expect(a.seal('key-1', text)).not.toBe(sealed); // fresh IV
  });
});

describe('memory stores', () => {
  test('sessions: bounded (least recently used ends), expiring, touch slides, replace is fenced', async () => {
    let now = 1_000_000;
    const s = memoryStores({ maxSessions: 2, maxOnce: 10, now: () => now });
    await s.sessions.put('a', 'A', 1000);
    await s.sessions.put('b', 'B', 1000);
    expect(await s.sessions.get('a')).toBe('A'); // a is now the most recently used
    await s.sessions.put('c', 'C', 1000);
    expect(await s.sessions.get('b')).toBeUndefined();
    expect(s.sessions.stats).toEqual({ size: 2, evictions: 1 });
    now += 900;
    await s.sessions.touch('a', 1000);
    now += 500;
    expect(await s.sessions.get('a')).toBe('A');
    expect(await s.sessions.get('c')).toBeUndefined(); // expired
    const token = (await s.locks.acquire('refresh:a', 100))!;
    expect(await s.sessions.replace('a', 'A2', 1000, { lock: 'refresh:a', token })).toBe(true);
    expect(await s.sessions.replace('a', 'A3', 1000, { lock: 'refresh:a', token: 'forged' })).toBe(false);
    now += 200; // lease over
    expect(await s.sessions.replace('a', 'A4', 1000, { lock: 'refresh:a', token })).toBe(false);
    expect(await s.sessions.get('a')).toBe('A2');
  });

  test('the back-channel index finds live sessions by sid and sub, and stays bounded', async () => {
    const s = memoryStores({ maxSessions: 10, maxOnce: 10 });
    await s.sessions.put('k1', 'v', 10_000);
    await s.sessions.index('k1', { sid: 'sid-ü', sub: 'u1' }, 10_000);
    await s.sessions.put('k2', 'v', 10_000);
    await s.sessions.index('k2', { sub: 'u1' }, 10_000);
    expect(await s.sessions.lookup('sid', 'sid-ü')).toEqual(['k1']);
    expect((await s.sessions.lookup('sub', 'u1')).sort()).toEqual(['k1', 'k2']);
    expect(await s.sessions.lookup('sub', 'nobody')).toEqual([]);
    for (let i = 0; i < 5000; i++) {
      await s.sessions.put(`f${i}`, 'v', 10_000);
      await s.sessions.index(`f${i}`, { sid: `s${i}`, sub: `u${i}` }, 10_000);
    }
    // 10 sessions kept; the index of the evicted ones was pruned along the way.
    expect(await s.sessions.lookup('sid', 's0')).toEqual([]);
  });

  test('once: the first claim wins within the lifetime; bounded', async () => {
    let now = 0;
    const s = memoryStores({ maxSessions: 1, maxOnce: 3, now: () => now });
    expect(await s.once.claim('state-1', 100)).toBe(true);
    expect(await s.once.claim('state-1', 100)).toBe(false);
    now = 150;
    expect(await s.once.claim('state-1', 100)).toBe(true);
    for (let i = 0; i < 10; i++) await s.once.claim(`x${i}`, 1000);
    expect(await s.once.claim('x9', 1000)).toBe(false);
  });

  test('locks: one holder; release only by its token; a lapsed lease frees the key', async () => {
    let now = 0;
    const { locks } = memoryStores({ maxSessions: 1, maxOnce: 1, now: () => now });
    const t1 = await locks.acquire('k', 100);
    expect(t1).toBeString();
    expect(await locks.acquire('k', 100)).toBeUndefined();
    await locks.release('k', 'not-the-token');
    expect(await locks.acquire('k', 100)).toBeUndefined();
    now = 101;
    const t2 = await locks.acquire('k', 100);
    expect(t2).toBeString();
    await locks.release('k', t1!); // the old holder cannot release its successor's lock
    expect(await locks.holds('k', t2!)).toBe(true);
  });
});

describe('checkCsrf', () => {
  const origins = new Set(['https://gw.example']);
  const h = (o: Record<string, string>) => new Headers(o);
  test('X-CSRF: 1 and an allowed or absent Origin pass', () => {
    checkCsrf(h({ 'x-csrf': '1' }), origins);
    checkCsrf(h({ 'x-csrf': '1', origin: 'https://gw.example' }), origins);
  });
  test.each([
    [{}],
    [{ 'x-csrf': '0' }],
    [{ 'x-csrf': 'true' }],
    [{ 'x-csrf': '1', origin: 'https://evil.example' }],
    [{ 'x-csrf': '1', origin: 'null' }],
    [{ 'x-csrf': '1', origin: 'https://gw.example.evil' }],
  ])('refused: %o', (headers) => {
    expect(() => checkCsrf(h(headers as Record<string, string>), origins)).toThrow(CsrfRejected);
  });
});

describe('Refresher', () => {
  const base: SessionData = {
    v: 1, sub: 'u', createdAt: 0, absoluteExpiresAt: 10_000_000, accessToken: 'old-at', accessExpiresAt: 100_000, refreshToken: 'rt-1', claims: { sub: 'u' }, generation: 0,
  };
  const tokens = (n: number): TokenSet => ({ access_token: `at-${n}`, token_type: 'Bearer', expires_in: 300, id_token: undefined, refresh_token: `rt-${n + 1}`, scope: undefined, idTokenClaims: undefined });

  function setup(grant: (rt: string) => Promise<TokenSet>, now = () => 50_000) {
    const stores = memoryStores({ maxSessions: 10, maxOnce: 10, now });
    const state = { data: { ...base } as SessionData | undefined, ended: 0, grants: [] as string[] };
    const deps: RefresherDeps = {
      sessions: stores.sessions,
      locks: stores.locks,
      read: async () => state.data,
      seal: (_k, d) => JSON.stringify(d),
      ttlMs: () => 60_000,
      grant: async (rt) => {
        state.grants.push(rt);
        return grant(rt);
      },
      claimsOf: async () => undefined,
      end: async () => {
        state.ended++;
        state.data = undefined;
      },
      leaseMs: 1000,
      now,
    };
    // The fake store write updates `state` when the fenced replace succeeds.
    const replace = stores.sessions.replace.bind(stores.sessions);
    stores.sessions.replace = async (key, value, ttl, fence) => {
      const ok = await replace(key, value, ttl, fence);
      if (ok) state.data = JSON.parse(value) as SessionData;
      return ok;
    };
    return { stores, state, refresher: new Refresher(deps) };
  }

  test('concurrent callers share one refresh; the rotated refresh token replaces the old one', async () => {
    const { stores, state, refresher } = setup(async () => tokens(1));
    await stores.sessions.put('k', 'x', 60_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => refresher.refresh('k', base)));
    expect(state.grants).toEqual(['rt-1']);
    for (const r of results) expect(r.accessToken).toBe('at-1');
    expect(state.data?.refreshToken).toBe('rt-2');
    expect(state.data?.generation).toBe(1);
  });

  test('a refresh already done elsewhere (newer generation in the store) is used, not repeated', async () => {
    const { stores, state, refresher } = setup(async () => tokens(9));
    await stores.sessions.put('k', 'x', 60_000);
    state.data = { ...base, accessToken: 'at-other', generation: 1 };
    expect((await refresher.refresh('k', base)).accessToken).toBe('at-other');
    expect(state.grants).toEqual([]);
  });

  test('the IdP refusing the refresh token ends the session (SessionRequired)', async () => {
    const { stores, state, refresher } = setup(async () => {
      throw new IdpRejected('invalid_grant', 'refused', { status: 400 });
    });
    await stores.sessions.put('k', 'x', 60_000);
    expect(refresher.refresh('k', base)).rejects.toBeInstanceOf(SessionRequired);
    await Bun.sleep(5);
    expect(state.ended).toBe(1);
  });

  test('the IdP down: the valid token is kept; once expired → 503, the session kept', async () => {
    let now = 50_000;
    const { stores, state, refresher } = setup(async () => {
      throw new IdpUnavailable('down', { status: 502 });
    }, () => now);
    await stores.sessions.put('k', 'x', 60_000);
    expect((await refresher.refresh('k', base)).accessToken).toBe('old-at');
    now = 200_000; // the access token expired meanwhile
    expect(refresher.refresh('k', base)).rejects.toBeInstanceOf(SessionUnavailable);
    expect(state.ended).toBe(0);
  });

  test('a lock held by another replica: wait for its result in the store', async () => {
    const { stores, state, refresher } = setup(async () => tokens(5));
    await stores.sessions.put('k', 'x', 60_000);
    await stores.locks.acquire('refresh:k', 1000);
    setTimeout(() => {
      state.data = { ...base, accessToken: 'at-from-replica-2', generation: 1 };
    }, 60);
    expect((await refresher.refresh('k', base)).accessToken).toBe('at-from-replica-2');
    expect(state.grants).toEqual([]);
  });
});
