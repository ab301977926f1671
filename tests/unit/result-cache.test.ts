import { describe, expect, test } from 'bun:test';
import { Doorkeeper, ResultCache } from '../../src/tokens/cache.ts';
import { clock, T0 } from './_tokens-helpers.ts';

describe('ResultCache', () => {
  test('LRU eviction keeps the most recently used entries', () => {
    const c = clock();
    const cache = new ResultCache<number>({ capacity: 3, now: c.now });
    const exp = T0 + 60_000;
    cache.set('a', 1, exp);
    cache.set('b', 2, exp);
    cache.set('c', 3, exp);
    expect(cache.get('a')).toBe(1); // a becomes most recent
    cache.set('d', 4, exp); // evicts b
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.get('d')).toBe(4);
    expect(cache.stats).toEqual({ hits: 4, misses: 1, evictions: 1, notAdmitted: 0, size: 3 });
  });

  test('updating an existing key does not evict', () => {
    const cache = new ResultCache<number>({ capacity: 2, now: clock().now });
    cache.set('a', 1, T0 + 1000);
    cache.set('b', 2, T0 + 1000);
    cache.set('a', 10, T0 + 1000);
    expect(cache.stats.evictions).toBe(0);
    expect(cache.get('a')).toBe(10);
    expect(cache.get('b')).toBe(2);
  });

  test('expiry is re-checked on every hit against the injected clock', () => {
    const c = clock();
    const cache = new ResultCache<string>({ capacity: 10, now: c.now });
    cache.set('t', 'claims', T0 + 1000);
    expect(cache.get('t')).toBe('claims');
    c.advance(999);
    expect(cache.get('t')).toBe('claims');
    c.advance(1);
    expect(cache.get('t')).toBeUndefined();
    expect(cache.stats.size).toBe(0);
  });

  test('already-expired entries are not stored; capacity 0 disables', () => {
    const c = clock();
    const cache = new ResultCache<string>({ capacity: 10, now: c.now });
    cache.set('t', 'x', T0);
    expect(cache.stats.size).toBe(0);
    const off = new ResultCache<string>({ capacity: 0, now: c.now });
    off.set('t', 'x', T0 + 1000);
    expect(off.get('t')).toBeUndefined();
  });

  test('collision safety: near-identical tokens never share an entry', () => {
    const cache = new ResultCache<string>({ capacity: 100, now: clock().now });
    const base = 'eyJhbGciOiJSUzI1NiJ9.' + 'x'.repeat(500) + '.sig';
    const variants = [base, base.slice(0, -1) + 'h', base + 'A', base.replace('x', 'y')];
    variants.forEach((t, i) => cache.set(t, `claims-${i}`, T0 + 1000));
    variants.forEach((t, i) => expect(cache.get(Buffer.from(t).toString())).toBe(`claims-${i}`));
    expect(cache.get(base.slice(0, -2))).toBeUndefined();
  });

  test('delete and clear', () => {
    const cache = new ResultCache<number>({ capacity: 10, now: clock().now });
    cache.set('a', 1, T0 + 1000);
    cache.set('b', 2, T0 + 1000);
    expect(cache.delete('a')).toBe(true);
    expect(cache.stats.size).toBe(1);
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.stats.size).toBe(0);
  });
});

test('approximate LRU: a token hit regularly survives a stream of new tokens far larger than the cache', () => {
  const cache = new ResultCache<number>({ capacity: 100, now: () => 0 });
  cache.set('hot', 1, 1_000);
  for (let i = 0; i < 10_000; i++) {
    cache.set(`cold-${i}`, i, 1_000);
    if (i % 20 === 0) expect(cache.get('hot')).toBe(1);
  }
  expect(cache.get('hot')).toBe(1);
  expect(cache.stats.size).toBe(100);
  // A token that is never hit again is evicted once capacity newer ones arrived.
  expect(cache.get('cold-0')).toBeUndefined();
});

test('regression: exact LRU order through a long mixed sequence (linked-list recency, no Map-order scans)', () => {
  const cache = new ResultCache<number>({ capacity: 3, now: () => 0 });
  for (const k of ['a', 'b', 'c']) cache.set(k, 1, 10);
  cache.get('a'); // order now b, c, a
  cache.set('d', 1, 10); // evicts b
  expect(cache.get('b')).toBeUndefined();
  cache.set('c', 2, 10); // update moves c to the newest end: a, d, c
  cache.set('e', 1, 10); // evicts a
  expect(cache.get('a')).toBeUndefined();
  expect([cache.get('d'), cache.get('c'), cache.get('e')]).toEqual([1, 2, 1]);
  expect(cache.delete('d')).toBe(true);
  cache.set('f', 1, 10);
  cache.set('g', 1, 10); // full again (c, e, f → g evicts c)
  expect(cache.get('c')).toBeUndefined();
  expect(cache.stats.size).toBe(3);
});

describe('second-sight admission', () => {
  test('a full cache stores a new key only when it is offered the second time', () => {
    const cache = new ResultCache<number>({ capacity: 2, admission: 'second-sight', now: () => 0 });
    cache.set('a', 1, 10);
    cache.set('b', 2, 10); // room left: stored at once
    cache.set('c', 3, 10); // full, first sight: not stored, nothing evicted
    expect(cache.get('c')).toBeUndefined();
    expect([cache.get('a'), cache.get('b')]).toEqual([1, 2]);
    expect(cache.stats).toMatchObject({ notAdmitted: 1, evictions: 0, size: 2 });
    cache.set('c', 3, 10); // second sight: evicts the least recently used (a)
    expect(cache.get('c')).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.stats).toMatchObject({ notAdmitted: 1, evictions: 1, size: 2 });
  });

  test('a flood of one-off keys evicts nothing from a full cache', () => {
    const cache = new ResultCache<number>({ capacity: 100, admission: 'second-sight', now: () => 0 });
    for (let i = 0; i < 100; i++) cache.set(`in-use-${i}`, i, 10);
    for (let i = 0; i < 20_000; i++) cache.set(`one-off-${i}`, i, 10);
    expect(cache.stats.evictions).toBe(0);
    expect(cache.stats.notAdmitted).toBe(20_000);
    for (let i = 0; i < 100; i++) expect(cache.get(`in-use-${i}`)).toBe(i);
  });

  test('Doorkeeper: remembers a key until another key takes its slot', () => {
    const d = new Doorkeeper(10); // 1,024 slots
    expect(d.offeredBefore('k')).toBe(false);
    expect(d.offeredBefore('k')).toBe(true);
    // Enough other keys overwrite every slot, so "k" counts as new again.
    for (let i = 0; i < 50_000; i++) d.offeredBefore(`other-${i}`);
    expect(d.offeredBefore('k')).toBe(false);
  });
});
