/**
 * Remembers recently completed states so a callback URL replayed with a copied cookie is refused
 * on this replica (the IdP also refuses a reused code; this makes the refusal ours and clear).
 * Bounded: entries expire after the login TTL and the set never exceeds `max` entries, so it
 * grows only with completed logins, never with /login calls.
 */
export class UsedStates {
  private readonly seen = new Map<string, number>();

  constructor(private readonly opts: { ttlMs: number; max: number; now?: () => number }) {}

  /** Marks `state` as used; returns false if it had been used already. */
  use(state: string): boolean {
    const now = this.opts.now?.() ?? Date.now();
    const exp = this.seen.get(state);
    if (exp !== undefined && exp > now) return false;
    this.seen.set(state, now + this.opts.ttlMs);
    if (this.seen.size > this.opts.max) this.sweep(now);
    return true;
  }

  private sweep(now: number): void {
    for (const [k, exp] of this.seen) {
      if (exp <= now || this.seen.size > this.opts.max) this.seen.delete(k);
      else break;
    }
  }
}
