import { ZitAuthError } from '../../errors.ts';

/** Why a Redis call failed (closed union: tests, metrics and logs use it, never message text). */
export type StoreFailure =
  /** No connection and none could be made (refused, DNS, TLS, authentication, waiting to retry). */
  | 'unreachable'
  /** No answer within ZITAUTH_REDIS_TIMEOUT_MS. */
  | 'timeout'
  /** The connection dropped while the call was in flight. */
  | 'connection_lost'
  /** Redis answered with an error (e.g. OOM under `maxmemory`, a read-only replica). */
  | 'command_failed'
  /** The store was closed (shutdown). */
  | 'closed';

/**
 * 503 — the state store (Redis/Valkey) cannot be used right now. Every failure of a Redis call
 * is this one class, so callers answer 503 + Retry-After (users stay logged in) instead of a 500.
 * The `detail` names the target (`redis://host:port/db`, never credentials), the command and the
 * client's error code — never keys or values.
 */
export class StoreUnavailable extends ZitAuthError {
  constructor(
    readonly failure: StoreFailure,
    detail: string,
  ) {
    // No `cause`: the client's error object is not ours to vouch for; its code is in `detail`.
    super('STORE_UNAVAILABLE', 503, 'temporarily_unavailable', 'The service is temporarily unavailable; retry shortly.', { detail, retryAfter: 1 });
  }
}
