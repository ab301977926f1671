import { Elysia, ElysiaCustomStatusResponse } from 'elysia';
import { InvalidToken, toZitAuthError, type ZitAuthError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request ids only need to be unique, not unpredictable: a random per-process prefix plus a
 * counter costs nothing per request, where a UUID costs a CSPRNG call on the hot path.
 */
const ID_PREFIX = crypto.randomUUID().slice(0, 8);
let idCounter = 0;
const nextRequestId = () => `${ID_PREFIX}-${(++idCounter).toString(36)}`;

/** Builds the JSON error response; the description is ours, never exception text or input. */
export function errorResponse(err: ZitAuthError, requestId?: string, extra?: Record<string, string | number>): Response {
  // The request's own headers so far (CORS, request id) first; the error's win where they overlap.
  const headers = { ...(extra as Record<string, string> | undefined), 'content-type': 'application/json', 'cache-control': 'no-store' } as Record<string, string>;
  if (requestId) headers['x-request-id'] = requestId;
  if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter);
  if (err.bearerChallenge) {
    // A quoted-string of printable ASCII only (RFC 7235 §2.1): whatever the message, the header stays valid.
    const desc = err.message.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '');
    headers['www-authenticate'] =
      err.bearerChallenge === 'bare' ? 'Bearer realm="zitauth"' : `Bearer realm="zitauth", error="${err.error}", error_description="${desc}"`;
  }
  return new Response(JSON.stringify(err.toBody()), { status: err.status, headers });
}

/** 400 for query/body that fail their schema; Elysia's own message would echo input. */
export function invalidParameters(headers: Record<string, string | number> = {}): Response {
  return new Response(JSON.stringify({ error: 'invalid_request', error_description: 'The request parameters are invalid.' }), {
    status: 400,
    headers: { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' } as Record<string, string>,
  });
}

/**
 * Turns anything thrown into its RFC-style response (see {@link failureResponder}); `headers`:
 * the ones already set for this request, carried over.
 */
export type FailureResponder = (error: unknown, requestId?: string, request?: Request, headers?: Record<string, string | number>) => Response;

/**
 * The one place that maps a failure to a response and decides what is logged: 5xx with their
 * detail at error level, expected rejections at debug. Used by the global error hook and by hot
 * routes that answer their own failures (skipping Elysia's throw/catch path, which costs more
 * than the check itself for junk tokens).
 */
export function failureResponder(logger: Logger): FailureResponder {
  return (error, requestId, request, headers) => {
    const err = toZitAuthError(error);
    if (err.status >= 500) {
      const path = request ? new URL(request.url).pathname : undefined;
      logger.error('request failed', { requestId, path, code: err.code, detail: err.detail });
    } else if (logger.enabled('debug')) {
      const reason = err instanceof InvalidToken ? err.reason : undefined;
      logger.debug('request rejected', { requestId, code: err.code, ...(reason === undefined ? {} : { reason }), detail: err.detail });
    }
    return errorResponse(err, requestId, headers);
  };
}

/** What the error hook reads (a supertype of Elysia's error context). */
interface ErrorContext {
  code: string | number;
  error: unknown;
  request: Request;
  requestId?: string;
  route?: string;
  startedAt?: number;
}

/** What the after-handle hook reads (a supertype of Elysia's context there). */
interface AfterHandleContext {
  request: Request;
  set: { status?: number | string };
  route?: string;
  startedAt?: number;
  requestId?: string;
  responseValue?: unknown;
}

/** Per-request bookkeeping shared by the Elysia hooks and the native /validate route. */
export interface Accounting {
  /** The caller's X-Request-Id when well-formed, else a new one. */
  requestIdOf(request: Request): string;
  /** One metrics sample and one JSON log line. */
  account(request: Request, route: string | undefined, status: number, startedAt: number | undefined, requestId: string | undefined): void;
}

/**
 * `accessLog` (ZITAUTH_ACCESS_LOG) applies to `highVolumeRoutes` only — the token routes a proxy
 * calls on every request: `all` logs each, `errors` only answers ≥ 400, `off` none. Every other
 * route always logs, and metrics always count.
 */
export function createAccounting(deps: {
  logger: Logger;
  metrics: Metrics;
  accessLog?: 'all' | 'errors' | 'off';
  highVolumeRoutes?: readonly string[];
}): Accounting {
  const { logger, metrics } = deps;
  const mode = deps.accessLog ?? 'all';
  const quiet = new Set(mode === 'all' ? [] : deps.highVolumeRoutes ?? []);
  const minStatus = mode === 'errors' ? 400 : Infinity;
  return {
    requestIdOf(request) {
      const given = request.headers.get('x-request-id');
      return given && REQUEST_ID.test(given) ? given : nextRequestId();
    },
    account(request, route, status, startedAt, requestId) {
      const path = route || 'unmatched';
      const ms = performance.now() - (startedAt ?? performance.now());
      metrics.recordRequest(path, status, ms / 1000);
      if (quiet.size !== 0 && status < minStatus && quiet.has(path)) return;
      logger.request(requestId, request.method, path, status, Math.round(ms * 100) / 100);
    },
  };
}

/**
 * Cross-cutting plugin, global on purpose (style habit 8): request ids, one JSON log line per
 * request, request metrics, and the mapping of every thrown error to an RFC-style body.
 * Unknown errors become 500 `server_error`; details go to the log only.
 */
export function corePlugin(deps: { logger: Logger; accounting: Accounting }) {
  const { logger } = deps;
  const { account, requestIdOf } = deps.accounting;
  const fail = failureResponder(logger);
  return new Elysia({ name: 'zitauth/core' })
    .derive({ as: 'global' }, ({ request, set }) => {
      const requestId = requestIdOf(request);
      set.headers['x-request-id'] = requestId;
      return { requestId, startedAt: performance.now() };
    })
    // Hooks destructure their context in the signature on purpose: Elysia reads the parameter list
    // to decide what each request must parse, and a bare `ctx` makes it parse cookies, query and
    // headers for every route (measured: ~15% of a /validate cache hit).
    .onError({ as: 'global' }, ({ code, error, request, requestId, route, startedAt }: ErrorContext) => {
      let res: Response;
      if (code === 'NOT_FOUND') {
        res = new Response(JSON.stringify({ error: 'not_found', error_description: 'No such route.' }), {
          status: 404,
          headers: { 'content-type': 'application/json' },
        });
      } else if (code === 'VALIDATION' || code === 'PARSE') {
        // Elysia's own message echoes input and schema internals: replace it.
        res = invalidParameters();
      } else res = fail(error, requestId, request);
      account(request, route, res.status, startedAt, requestId);
      return res;
    })
    // Accounting runs synchronously once the handler has produced its answer, not in
    // onAfterResponse: that hook costs a macrotask and an async closure per request (measured:
    // ~20% of a /validate cache hit). The latency recorded is the gateway's own time.
    .onAfterHandle({ as: 'global' }, ({ request, set, route, startedAt, requestId, responseValue }: AfterHandleContext) => {
      // Handlers that return a Response (redirects, answered failures) carry their status there.
      // `status(503, …)` values carry theirs in `code` (Elysia copies it into `set` only later).
      const status =
        responseValue instanceof Response
          ? responseValue.status
          : responseValue instanceof ElysiaCustomStatusResponse
            ? Number(responseValue.code)
            : typeof set.status === 'number'
              ? set.status
              : 200;
      account(request, route, status, startedAt, requestId);
    });
}
