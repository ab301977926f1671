/**
 * Which token rejections are worth remembering. A negative cache must not remember failures that
 * may turn into successes shortly: a token that is not yet valid (`nbf`, or `iat` a little ahead
 * of our clock), or one signed with a key the IdP has not published to us yet (Zitadel signs with
 * a new key at once, and its key list may lag behind). The reason says which is which.
 */
import { InvalidToken, type RejectionReason } from '../errors.ts';

const TRANSIENT: ReadonlySet<RejectionReason> = new Set<RejectionReason>(['not_yet_valid', 'issued_in_future', 'unknown_key']);

/** True for rejections whose reason may resolve itself with time (see the module comment). */
export function isTransientReason(reason: RejectionReason): boolean {
  return TRANSIENT.has(reason);
}

/** True for token rejections that will not change on retry, i.e. safe for a negative cache. */
export function isPermanentFailure(err: unknown): err is InvalidToken {
  return err instanceof InvalidToken && !TRANSIENT.has(err.reason);
}
