/**
 * The two answers, shared by the framework routes (routes.ts) and the native ones (native.ts):
 * /validate answers with the claims as JSON, /forward-auth with identity headers for a reverse
 * proxy. Both check the token the same way (check.ts) and answer their own failures: proxies call
 * them on every request, and Elysia's throw → error-hook path costs more than rejecting a junk
 * token itself.
 */
import { InvalidRequest, InvalidToken } from '../../errors.ts';
import type { FailureResponder } from '../core.ts';
import { loginRedirect, type BrowserLogin } from './browser-login.ts';
import type { TokenCheck } from './check.ts';
import { identityHeaderCache } from './identity-headers.ts';
import type { ForwardAuthParams, Requirements } from './query.ts';
import { claimsResponse, failureResponse, jsonResponse, type HeaderBag } from './respond.ts';

export interface Answers {
  validate(request: Request, q: Requirements, set: HeaderBag): Response | Promise<Response>;
  forwardAuth(request: Request, q: ForwardAuthParams, set: HeaderBag): Response | Promise<Response>;
}

const OK_BODY = JSON.stringify({ ok: true });

export function createAnswers(deps: {
  check: TokenCheck;
  fail?: FailureResponder;
  claimHeaders: Record<string, string>;
  browserLogin?: BrowserLogin;
}): Answers {
  const { check, fail, browserLogin } = deps;
  const identity = identityHeaderCache(deps.claimHeaders);
  return {
    validate(request, q, set) {
      // Claims are personal data tied to one token: no shared cache may keep or replay them.
      set.headers['cache-control'] = 'no-store';
      return check.run(
        request.headers.get('authorization'),
        q,
        (claims, cached) => claimsResponse(claims, cached, set),
        (e) => failureResponse(fail, e, set),
      );
    },
    forwardAuth(request, q, set) {
      set.headers['cache-control'] = 'no-store';
      const authorization = request.headers.get('authorization');
      // A browser with no credentials at all gets the login instead of a 401 (`redirect=login`).
      if (q.redirect === 'login' && browserLogin !== undefined && authorization === null) {
        const location = loginRedirect(request.headers, browserLogin);
        if (location !== undefined) {
          const headers = set.headers as Record<string, string>;
          headers.location = location;
          set.headers = {};
          return new Response(null, { status: 302, headers });
        }
      }
      return check.run(
        authorization,
        q,
        (claims, cached) => jsonResponse(OK_BODY, set, identity(claims, cached)),
        // nginx auth_request accepts only 2xx/401/403 from the subrequest: a malformed header is
        // answered 401 here (still with an RFC 6750 body) so the proxy maps it correctly.
        (e) => failureResponse(fail, e instanceof InvalidRequest ? new InvalidToken(e.message) : e, set),
      );
    },
  };
}
