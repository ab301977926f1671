/**
 * GET /api/v1/validate and /api/v1/forward-auth served straight from Bun's router, for the server
 * only (the Elysia routes stay: they define the schema for OpenAPI and Eden, and answer
 * `app.handle`).
 *
 * Why: these routes sit in front of every request of every protected API (nginx calls
 * forward-auth on each one), and on a cache hit Elysia's per-request pipeline (context object,
 * derive, query clean/check/decode, after-handle, response mapping) cost more than the answer
 * itself (docs/benchmarks.md). Nothing is re-implemented: the answers, the failure bodies, CORS,
 * the request id, the access line and the metrics are the shared ones; the query is read with
 * the rules of the one schema (query.ts). The parity test compares both paths.
 */
import { invalidParameters, type Accounting } from '../core.ts';
import { applyCors } from '../cors.ts';
import type { Answers } from './answers.ts';
import { requirementsFromUrl, type ForwardAuthParams } from './query.ts';
import type { HeaderBag } from './respond.ts';

export const VALIDATE_PATH = '/api/v1/validate';
export const FORWARD_AUTH_PATH = '/api/v1/forward-auth';

type Native = (request: Request) => Response | Promise<Response>;

/** The native routes, in the shape of `Bun.serve({ routes })`. */
export function nativeTokenRoutes(deps: { answers: Answers; accounting: Accounting; corsOrigins: string[] }): Record<string, { GET: Native }> {
  const { answers, accounting } = deps;
  const allowed = new Set(deps.corsOrigins);
  const route = (path: string, cors: boolean, answer: (request: Request, q: ForwardAuthParams, set: HeaderBag) => Response | Promise<Response>): Native => {
    const account = (request: Request, requestId: string, startedAt: number) => (res: Response) => {
      accounting.account(request, path, res.status, startedAt, requestId);
      return res;
    };
    return (request) => {
      const startedAt = performance.now();
      const requestId = accounting.requestIdOf(request);
      const set: HeaderBag = { headers: { 'x-request-id': requestId } };
      if (cors) {
        const origin = request.headers.get('origin');
        if (origin) applyCors(origin, allowed, set.headers);
      }
      const done = account(request, requestId, startedAt);
      const q = requirementsFromUrl(request.url);
      if (q === undefined) return done(invalidParameters(set.headers));
      const res = answer(request, q, set);
      return res instanceof Promise ? res.then(done) : done(res);
    };
  };
  return {
    [VALIDATE_PATH]: { GET: route(VALIDATE_PATH, true, answers.validate) },
    // forward-auth is called by proxies, not browsers: no CORS (as on the framework route).
    [FORWARD_AUTH_PATH]: { GET: route(FORWARD_AUTH_PATH, false, answers.forwardAuth) },
  };
}
