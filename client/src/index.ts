/**
 * `@zitauth/client`: a typed client for the ZitAuth gateway (Eden Treaty, typed with the
 * gateway's own route table: paths, query parameters, headers, and data and errors per status).
 *
 * @example
 * const zitauth = createZitAuthClient('http://localhost:8000');
 * const { data, error } = await zitauth.api.v1.validate.get({ headers: bearer(token) });
 */
import { EdenFetchError, treaty, type Treaty } from '@elysiajs/eden';
import type { App } from './gateway.js';

export type { App };
/** What a request that got no answer rejects with; `value` is the fetch error (`value.cause.code`: ECONNREFUSED, …). */
export { EdenFetchError };

/** Every route of the gateway, as Eden Treaty sees it (path segments → method → schema). */
export type Routes = App['~Routes'];
type V1 = Routes['api']['v1'];

/** The typed client: `client.api.v1.validate.get(…)` etc. */
export type ZitAuthClient = Treaty.Create<App>;

/** Eden Treaty's options: default `headers`, a custom `fetcher`, `onRequest`/`onResponse` hooks, … */
export type ZitAuthClientOptions = Treaty.Config;

/** Answers of `GET /api/v1/validate`, by HTTP status. */
export type ValidateResponses = V1['validate']['get']['response'];

/**
 * Claims of a validated token. The registered claims are typed; every other claim (Zitadel's
 * `urn:zitadel:iam:org:project:roles`, `email`, …) is there too, as `unknown` until you check it.
 */
export type Claims = ValidateResponses[200] & { readonly [claim: string]: unknown };

/** The RFC 6749 §5.2 / RFC 6750 §3 body of every gateway error: `{ error, error_description }`. */
export type ErrorBody = ValidateResponses[401];

/** `GET`/`POST /api/v1/m2m-token`: a service-user access token. */
export type M2mToken = V1['m2m-token']['get']['response'][200];

/** `GET /api/v1/userinfo`: the caller's Zitadel profile under `userinfo`. */
export type UserinfoResponse = V1['userinfo']['get']['response'][200];

/** `GET /api/v1/forward-auth`'s 200 body (the identity itself travels in `X-Auth-Request-*` headers). */
export type ForwardAuthResponse = V1['forward-auth']['get']['response'][200];

/** `GET /healthz`. */
export type Health = Routes['healthz']['get']['response'][200];

/** `GET /readyz`: ready (200) or not ready (503), with the check that failed. */
export type Readiness = Routes['readyz']['get']['response'][200 | 503];

/** Eden wraps a fetch that threw (no answer at all) like an HTTP error; its value is then that Error. */
const gotNoAnswer = (e: EdenFetchError<number, unknown>) => e.value instanceof Error;

/**
 * A typed client for the gateway at `baseUrl` (e.g. `http://localhost:8000`).
 *
 * Calls resolve to `{ data, error, status, response }`: `data` is typed for 2xx, `error` is
 * `{ status, value }` typed per declared error status (`value` is an {@link ErrorBody}).
 * A request that gets no answer (connection refused, unknown host, timeout) rejects with an
 * {@link EdenFetchError} — Eden alone would resolve it as a made-up `503` with no `response`,
 * indistinguishable from the gateway's own 503. `options.throwHttpError` still applies on top.
 */
export function createZitAuthClient(baseUrl: string | URL, options: ZitAuthClientOptions = {}): ZitAuthClient {
  const own = options.throwHttpError;
  return treaty<App>(String(baseUrl).replace(/\/+$/, ''), {
    ...options,
    throwHttpError: (e) => gotNoAnswer(e) || (typeof own === 'function' ? own(e) : own === true),
  });
}

/** `{ authorization: 'Bearer <token>' }`, for a call's `headers`. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
