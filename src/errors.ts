/**
 * One error family for the whole gateway.
 *
 * Every failure a client can see is a {@link ZitAuthError}: it carries a stable machine `code`
 * (for logs, metrics and tests), the HTTP `status`, and the RFC 6749 / RFC 6750 `error` string.
 * Clients only ever receive `{ error, error_description }`; `detail` (which may mention upstream
 * responses, never secrets) goes to the log. Anything that is not a ZitAuthError is reported to
 * the client as a 500 `server_error` with a generic description.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */

export type ErrorCode =
  | 'INVALID_REQUEST'
  | 'INVALID_TOKEN'
  | 'INSUFFICIENT_SCOPE'
  | 'ACCESS_DENIED'
  | 'INVALID_STATE'
  | 'UNAUTHORIZED_CLIENT'
  | 'FORBIDDEN'
  | 'NOT_CONFIGURED'
  | 'IDP_UNAVAILABLE'
  | 'IDP_TIMEOUT'
  | 'IDP_BAD_RESPONSE'
  | 'IDP_REJECTED'
  | 'IDP_CREDENTIALS_REJECTED'
  | 'NOT_FOUND'
  | 'SESSION_REQUIRED'
  | 'SESSION_UNAVAILABLE'
  | 'STORE_UNAVAILABLE'
  | 'CSRF'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'CLIENT_CLOSED_REQUEST'
  | 'SERVER_ERROR';

/** Whether (and how) an error carries a `WWW-Authenticate: Bearer` challenge. */
export type BearerChallenge = boolean | 'bare';

/** The RFC-style body every error response carries. */
export interface ErrorBody {
  error: string;
  error_description: string;
}

export class ZitAuthError extends Error {
  override readonly name: string = this.constructor.name;
  /** Stable identifier, safe to log and to assert on in tests. */
  readonly code: ErrorCode;
  /** HTTP status sent to the client. */
  readonly status: number;
  /** RFC 6749/6750 `error` value. */
  readonly error: string;
  /** Extra context for the log only; never sent to clients. */
  readonly detail: string | undefined;
  /** Seconds a client should wait before retrying (503 responses). */
  readonly retryAfter: number | undefined;
  /**
   * Send an RFC 6750 `WWW-Authenticate: Bearer` challenge with this error: `true` with the error
   * code, `'bare'` without one (RFC 6750 §3.1: a request that carried no credentials at all).
   */
  readonly bearerChallenge: BearerChallenge;

  constructor(
    code: ErrorCode,
    status: number,
    error: string,
    description: string,
    opts: { detail?: string; retryAfter?: number; cause?: unknown; bearerChallenge?: BearerChallenge } = {},
  ) {
    super(description, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = status;
    this.error = error;
    this.detail = opts.detail;
    this.retryAfter = opts.retryAfter;
    this.bearerChallenge = opts.bearerChallenge ?? false;
  }

  toBody(): ErrorBody {
    return { error: this.error, error_description: this.message };
  }
}

/** 400 — the request itself is unusable (missing/malformed header or parameter). */
export class InvalidRequest extends ZitAuthError {
  constructor(description: string, opts?: { detail?: string; bearerChallenge?: BearerChallenge }) {
    super('INVALID_REQUEST', 400, 'invalid_request', description, opts);
  }
}

/**
 * Why a token was refused, as data (style habit 13): metrics, logs and tests use this, never the
 * description text. A closed union: a new kind of rejection needs a new member here.
 */
export type RejectionReason =
  /** Not a well-formed token: shape, base64url, UTF-8, JSON, or a registered claim of the wrong type. */
  | 'malformed'
  /** Longer than the configured bound; refused before any parsing. */
  | 'too_large'
  /** The Authorization header itself is missing or malformed (forward-auth answers 401 for it). */
  | 'bad_request'
  /** Header `alg` not allowed, or not what the selected key is published for (RFC 8725 §3.1). */
  | 'algorithm'
  /** Header `typ` is not an access-token type (RFC 7515 §4.1.9, RFC 9068 §2.1). */
  | 'type'
  /** A header parameter we must not ignore: `crit` (RFC 7515 §4.1.11) or `b64` (RFC 7797). */
  | 'header'
  /** No published key matches the token's `kid` (also after refetching the key set). */
  | 'unknown_key'
  | 'bad_signature'
  | 'issuer'
  | 'audience'
  /** No `exp` claim (RFC 9068 §2.2 requires it). */
  | 'no_expiry'
  | 'expired'
  /** `nbf` is in the future (beyond the clock tolerance). */
  | 'not_yet_valid'
  /** `iat` is in the future (beyond the clock tolerance). */
  | 'issued_in_future'
  /** `exp` lies further ahead than the longest lifetime we accept. */
  | 'lifetime'
  /** Introspection answered `active: false` (RFC 7662 §2.2). */
  | 'inactive'
  /** An opaque token, but no introspection is configured. */
  | 'opaque_unsupported'
  /** The IdP itself refused the token (e.g. userinfo answered 401). */
  | 'idp_rejected';

/** The client-facing description of each reason: short, fixed, never echoing input. */
export const REJECTION_DESCRIPTIONS: Readonly<Record<RejectionReason, string>> = {
  malformed: 'malformed token',
  too_large: 'token too large',
  bad_request: 'malformed request',
  algorithm: 'algorithm not allowed',
  type: 'token type not accepted',
  header: 'unsupported token header',
  unknown_key: 'unknown signing key',
  bad_signature: 'signature invalid',
  issuer: 'issuer mismatch',
  audience: 'audience mismatch',
  no_expiry: 'token has no expiry',
  expired: 'token expired',
  not_yet_valid: 'token not yet valid',
  issued_in_future: 'token issued in the future',
  lifetime: 'token lifetime too long',
  inactive: 'token inactive',
  opaque_unsupported: 'opaque tokens need introspection (set ZITAUTH_INTROSPECTION_KEY_FILE)',
  idp_rejected: 'The identity provider rejected the access token.',
};

/** 401 — a bearer token was presented but is not acceptable (RFC 6750 `invalid_token`). */
export class InvalidToken extends ZitAuthError {
  /** Why the token was refused; see {@link RejectionReason}. */
  readonly reason: RejectionReason;

  /** `description` overrides the reason's fixed text in {@link REJECTION_DESCRIPTIONS}. */
  constructor(reason: RejectionReason, opts: { description?: string; detail?: string; cause?: unknown } = {}) {
    super('INVALID_TOKEN', 401, 'invalid_token', opts.description ?? REJECTION_DESCRIPTIONS[reason], {
      detail: opts.detail,
      cause: opts.cause,
      bearerChallenge: true,
    });
    this.reason = reason;
  }
}

/** 403 — the token is valid but lacks a required role, scope or audience. */
export class InsufficientScope extends ZitAuthError {
  /** The kinds of requirement the token failed (data for tests and logs; the values are never echoed). */
  readonly unmet: readonly ('role' | 'scope' | 'audience')[];
  constructor(unmet: readonly ('role' | 'scope' | 'audience')[]) {
    const what = { role: 'a required role', scope: 'a required scope', audience: 'a required audience' };
    super('INSUFFICIENT_SCOPE', 403, 'insufficient_scope', `The token lacks ${unmet.map((u) => what[u]).join(' and ')}.`, { bearerChallenge: true });
    this.unmet = unmet;
  }
}

/** 400 — login state cookie missing, expired, mismatched or already used. */
export class InvalidState extends ZitAuthError {
  constructor(description: string, opts?: { detail?: string }) {
    super('INVALID_STATE', 400, 'invalid_request', description, opts);
  }
}

/**
 * 401 — a caller of a protected gateway route (e.g. m2m-token) did not authenticate. It carries
 * a `WWW-Authenticate: Bearer` challenge (RFC 6749 §5.2: a 401 for client authentication names
 * the scheme; RFC 7235 §3.1: every 401 has one) — bare when no credentials were sent at all.
 */
export class UnauthorizedClient extends ZitAuthError {
  constructor(description: string, opts: { credentialsSent: boolean }) {
    super('UNAUTHORIZED_CLIENT', 401, 'invalid_client', description, { bearerChallenge: opts.credentialsSent ? true : 'bare' });
  }
}

/** 403 — the caller is known not to be allowed. */
export class Forbidden extends ZitAuthError {
  constructor(description: string) {
    super('FORBIDDEN', 403, 'access_denied', description);
  }
}

/** 503 — the feature needs configuration that is absent (e.g. no service-user key file). */
export class NotConfigured extends ZitAuthError {
  constructor(description: string) {
    super('NOT_CONFIGURED', 503, 'temporarily_unavailable', description);
  }
}

/** 502 — the IdP could not be reached (connection refused, DNS, TLS). */
export class IdpUnavailable extends ZitAuthError {
  constructor(description: string, opts?: { detail?: string; cause?: unknown; retryAfter?: number; status?: number }) {
    super('IDP_UNAVAILABLE', opts?.status ?? 502, opts?.status === 503 ? 'temporarily_unavailable' : 'server_error', description, opts);
  }
}

/** 504 — the IdP did not answer within the configured timeout. */
export class IdpTimeout extends ZitAuthError {
  constructor(description: string, opts?: { detail?: string; cause?: unknown; retryAfter?: number; status?: number }) {
    super('IDP_TIMEOUT', opts?.status ?? 504, opts?.status === 503 ? 'temporarily_unavailable' : 'server_error', description, opts);
  }
}

/** 502 — the IdP answered with something that is not a valid protocol response. */
export class IdpBadResponse extends ZitAuthError {
  constructor(description: string, opts?: { detail?: string; cause?: unknown }) {
    super('IDP_BAD_RESPONSE', 502, 'server_error', description, opts);
  }
}

/**
 * The IdP answered with a protocol error (e.g. `invalid_grant`). The IdP's `error` code is passed
 * through (it is a fixed vocabulary); its description is not, as it may echo request data.
 */
export class IdpRejected extends ZitAuthError {
  constructor(error: string, description: string, opts?: { status?: number; detail?: string }) {
    super('IDP_REJECTED', opts?.status ?? 400, error, description, opts);
  }
}

/**
 * 502 — the IdP refused the *gateway's own* credentials: its introspection client, or its
 * service user's assertion. Never the caller's fault, so never the IdP's 4xx passed on: the
 * caller gets a 502, the operator a log line naming the credential to check.
 */
export class IdpCredentialsRejected extends ZitAuthError {
  constructor(readonly credential: 'introspection' | 'service-user', detail: string) {
    const what = credential === 'introspection' ? 'introspection credentials' : 'service-user credentials';
    super('IDP_CREDENTIALS_REJECTED', 502, 'server_error', `The identity provider refused the gateway's ${what}.`, { detail });
  }
}

/**
 * 401 — a session-mode route without a live session: no cookie, an unknown, forged, expired or
 * ended one. `login_required` (OIDC Core §3.1.2.6): the user has to log in again.
 */
export class SessionRequired extends ZitAuthError {
  constructor(detail?: string) {
    super('SESSION_REQUIRED', 401, 'login_required', 'No valid session: log in again.', detail === undefined ? {} : { detail });
  }
}

/**
 * 503 — the session exists but cannot be used right now (the session store or, for a needed
 * refresh, the IdP is unreachable). The user is not logged out: retry after `Retry-After`.
 */
export class SessionUnavailable extends ZitAuthError {
  constructor(detail: string, retryAfter = 5) {
    super('SESSION_UNAVAILABLE', 503, 'temporarily_unavailable', 'The session cannot be used right now; retry shortly.', { detail, retryAfter });
  }
}

/** 403 — a cookie-authenticated request without the CSRF defence (`X-CSRF: 1`, allowed Origin). */
export class CsrfRejected extends ZitAuthError {
  constructor(description: string) {
    super('CSRF', 403, 'access_denied', description);
  }
}

/** Converts anything thrown into a ZitAuthError; unknown errors become an opaque 500. */
export function toZitAuthError(err: unknown): ZitAuthError {
  if (err instanceof ZitAuthError) return err;
  return new ZitAuthError('SERVER_ERROR', 500, 'server_error', 'The gateway failed to process the request.', {
    detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    cause: err,
  });
}
