/**
 * The failures of a proxied call (session mode's API proxy, `/api/v1/proxy/{name}/…`).
 *
 * The IdP has its own classes (IdpUnavailable, IdpTimeout): an operator reading a log must tell
 * "Zitadel is down" from "the orders service is down". Descriptions are fixed text — never the
 * upstream's URL, its error text or anything from the request; `detail` (origin and error code)
 * goes to the log only.
 */
import { ZitAuthError } from '../errors.ts';

/** 502 — the upstream could not be reached or dropped the connection before answering. */
export class UpstreamUnavailable extends ZitAuthError {
  constructor(opts: { detail?: string; cause?: unknown } = {}) {
    super('UPSTREAM_UNAVAILABLE', 502, 'server_error', 'The upstream service is unreachable.', opts);
  }
}

/** 504 — the upstream sent no response headers within the proxy timeout. */
export class UpstreamTimeout extends ZitAuthError {
  constructor(opts: { detail?: string; cause?: unknown } = {}) {
    super('UPSTREAM_TIMEOUT', 504, 'server_error', 'The upstream service did not answer in time.', opts);
  }
}

/** 502 — the upstream answered with something that cannot be passed on (e.g. status 999). */
export class UpstreamBadResponse extends ZitAuthError {
  constructor(opts: { detail?: string; cause?: unknown } = {}) {
    super('UPSTREAM_BAD_RESPONSE', 502, 'server_error', 'The upstream service sent an unusable response.', opts);
  }
}

/**
 * 499 (nginx's "client closed request") — the browser went away, or the caller's signal
 * aborted, before the upstream answered. Nobody reads the response; the class exists so logs
 * and metrics say what happened instead of a 5xx that blames the gateway or the upstream.
 */
export class ClientClosedRequest extends ZitAuthError {
  constructor(opts: { detail?: string; cause?: unknown } = {}) {
    super('CLIENT_CLOSED_REQUEST', 499, 'invalid_request', 'The client closed the request.', opts);
  }
}
