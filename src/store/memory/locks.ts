/** Leased locks and shared values in this process's memory (one replica: nothing to share). */
import { randomBytes } from 'node:crypto';
import type { Locks, SharedValues } from '../types.ts';

export class MemoryLocks implements Locks {
  readonly #held = new Map<string, { token: string; until: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async acquire(key: string, leaseMs: number): Promise<string | undefined> {
    const t = this.now();
    const cur = this.#held.get(key);
    if (cur !== undefined && cur.until > t) return undefined;
    const token = randomBytes(16).toString('base64url');
    this.#held.set(key, { token, until: t + leaseMs });
    return token;
  }

  async release(key: string, token: string): Promise<void> {
    if (this.#held.get(key)?.token === token) this.#held.delete(key);
  }

  async holds(key: string, token: string): Promise<boolean> {
    const cur = this.#held.get(key);
    return cur !== undefined && cur.token === token && cur.until > this.now();
  }
}

export class MemorySharedValues implements SharedValues {
  readonly #values = new Map<string, { value: string; until: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<string | undefined> {
    const v = this.#values.get(key);
    if (v === undefined) return undefined;
    if (v.until <= this.now()) {
      this.#values.delete(key);
      return undefined;
    }
    return v.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#values.set(key, { value, until: this.now() + ttlMs });
  }
}
