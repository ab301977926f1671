/**
 * Finished Responses for the token routes. Handlers return a Response rather than a value: that
 * skips Elysia's response-schema pass, which clones the claims and re-checks our own output on
 * every request; the headers set so far (request id, CORS, cache-control) are moved into it, so
 * Elysia passes it through instead of rebuilding it to merge them.
 */
import { toZitAuthError } from '../../errors.ts';
import type { Claims } from '../../tokens/introspection.ts';
import { errorResponse, type FailureResponder } from '../core.ts';

/** The per-request headers the answer carries (Elysia's `set.headers`, or the native route's own). */
export type HeaderBag = { headers: Record<string, string | number> };

const JSON_TYPE = 'application/json;charset=utf-8';

/** A JSON Response carrying the headers set for this request (moved, so Elysia adds none twice). */
export function jsonResponse(body: string, set: HeaderBag, extra?: readonly [string, string][]): Response {
  const headers = set.headers;
  headers['content-type'] = JSON_TYPE;
  if (extra !== undefined) for (const [k, v] of extra) headers[k] = v;
  set.headers = {};
  return new Response(body, { headers: headers as Record<string, string> });
}

// Serialized claims, one per cached (shared, frozen) claims object, made on its first cache hit:
// a repeated token costs no JSON.stringify. Weak, so entries leave with the cache's.
const bodies = new WeakMap<object, string>();

/** The 200 answer of /validate: the claims, serialized once per cached claims object. */
export function claimsResponse(claims: Claims, cached: boolean, set: HeaderBag): Response {
  if (!cached) return jsonResponse(JSON.stringify(claims), set);
  let body = bodies.get(claims);
  if (body === undefined) bodies.set(claims, (body = JSON.stringify(claims)));
  return jsonResponse(body, set);
}

/** A failure rendered like the global error hook does, with this request's headers added. */
export function failureResponse(fail: FailureResponder | undefined, e: unknown, set: HeaderBag): Response {
  const headers = set.headers;
  const requestId = headers['x-request-id'] as string | undefined;
  set.headers = {};
  return fail ? fail(e, requestId, undefined, headers) : errorResponse(toZitAuthError(e), requestId, headers);
}
