/**
 * Which token rejections are worth remembering. A negative cache must not remember failures that
 * may turn into successes shortly: a token that is not yet valid (`nbf`), or one signed with a key
 * we have not seen yet (the IdP may have just rotated and our refetch was held back by cooldown).
 * Such errors are tagged here when they are created; everything else an {@link InvalidToken}
 * reports is permanent for the token.
 */
import { InvalidToken } from '../errors.ts';

const transient = new WeakSet<object>();

/** Tags `err` as a failure that may resolve itself; returns it for `throw markTransient(...)`. */
export function markTransient<E extends object>(err: E): E {
  transient.add(err);
  return err;
}

/** True for token rejections that will not change on retry, i.e. safe for a negative cache. */
export function isPermanentFailure(err: unknown): boolean {
  return err instanceof InvalidToken && !transient.has(err);
}
