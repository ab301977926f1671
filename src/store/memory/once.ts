/**
 * Single-use keys in this process's memory (completed login states, used back-channel logout
 * `jti`s): bounded — entries expire after their lifetime and at most `max` are kept, so the set
 * grows only with completed logins and verified logout tokens, never with /login calls.
 */
import type { OnceSet } from '../types.ts';

export class MemoryOnceSet implements OnceSet {
  readonly #seen = new Map<string, number>();

  constructor(private readonly opts: { max: number; now?: () => number }) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.opts.now?.() ?? Date.now();
    const exp = this.#seen.get(key);
    if (exp !== undefined && exp > now) return false;
    this.#seen.delete(key);
    this.#seen.set(key, now + ttlMs);
    if (this.#seen.size > this.opts.max) this.#sweep(now);
    return true;
  }

  /** Drops expired entries, then the oldest ones while over the bound (Map order = claim order). */
  #sweep(now: number): void {
    for (const [k, exp] of this.#seen) {
      if (exp <= now || this.#seen.size > this.opts.max) this.#seen.delete(k);
      else break;
    }
  }
}
