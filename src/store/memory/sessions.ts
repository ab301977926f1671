/**
 * Sessions in this process's memory: bounded (the least recently used session ends when
 * `maxCount` is reached, so a login flood cannot grow memory without bound) and expiring.
 * Built on the validator's LRU ({@link ResultCache}): O(1) per operation at any size.
 */
import { ResultCache } from '../../tokens/cache.ts';
import type { Locks, SessionStore } from '../types.ts';

export class MemorySessionStore implements SessionStore {
  readonly #sessions: ResultCache<string>;
  /** `sid:…` / `sub:…` → session key → expiry; pruned lazily (see {@link index}). */
  readonly #refs = new Map<string, Map<string, number>>();
  #refCount = 0;
  readonly #now: () => number;

  readonly #locks: Locks;

  constructor(opts: { maxCount: number; locks: Locks; now?: () => number }) {
    this.#now = opts.now ?? Date.now;
    this.#locks = opts.locks;
    this.#sessions = new ResultCache({ capacity: opts.maxCount, now: this.#now });
  }

  /** Sessions held now, and how many were pushed out by the bound. */
  get stats(): { size: number; evictions: number } {
    return { size: this.#sessions.stats.size, evictions: this.#sessions.stats.evictions };
  }

  async get(key: string): Promise<string | undefined> {
    return this.#sessions.get(key, false);
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    this.#sessions.set(key, value, this.#now() + ttlMs);
  }

  async replace(key: string, value: string, ttlMs: number, fence: { lock: string; token: string }): Promise<boolean> {
    // One process: nothing runs between these two steps.
    if (!(await this.#locks.holds(fence.lock, fence.token)) || this.#sessions.get(key, false) === undefined) return false;
    this.#sessions.set(key, value, this.#now() + ttlMs);
    return true;
  }

  async touch(key: string, ttlMs: number): Promise<void> {
    const value = this.#sessions.get(key, false);
    if (value !== undefined) this.#sessions.set(key, value, this.#now() + ttlMs);
  }

  async delete(key: string): Promise<void> {
    this.#sessions.delete(key);
  }

  async index(key: string, refs: { sid?: string | undefined; sub: string }, ttlMs: number): Promise<void> {
    const expiresAt = this.#now() + ttlMs;
    for (const ref of [refs.sid === undefined ? undefined : `sid:${refs.sid}`, `sub:${refs.sub}`]) {
      if (ref === undefined) continue;
      let keys = this.#refs.get(ref);
      if (keys === undefined) this.#refs.set(ref, (keys = new Map()));
      if (!keys.has(key)) this.#refCount++;
      keys.set(key, expiresAt);
    }
    // Amortized cleanup: entries of ended or evicted sessions go once they outnumber live ones.
    if (this.#refCount > 2 * this.#sessions.stats.size + 1024) this.#prune();
  }

  async lookup(kind: 'sid' | 'sub', value: string): Promise<string[]> {
    const keys = this.#refs.get(`${kind}:${value}`);
    if (keys === undefined) return [];
    const now = this.#now();
    return [...keys].filter(([, exp]) => exp > now).map(([k]) => k);
  }

  #prune(): void {
    const now = this.#now();
    this.#refCount = 0;
    for (const [ref, keys] of this.#refs) {
      for (const [key, exp] of keys) {
        if (exp <= now || this.#sessions.get(key, false) === undefined) keys.delete(key);
      }
      if (keys.size === 0) this.#refs.delete(ref);
      else this.#refCount += keys.size;
    }
  }
}
