/**
 * The two answers, shared by the framework routes (routes.ts) and the native ones (native.ts):
 * /validate answers with the claims as JSON, /forward-auth with identity headers for a reverse
 * proxy. Both check the token the same way (check.ts) and answer their own failures: proxies call
 * them on every request, and Elysia's throw → error-hook path costs more than rejecting a junk
 * token itself.
 */
import { InvalidRequest, InvalidToken, SessionRequired } from '../../errors.ts';
import type { SessionService } from '../../session/service.ts';
import { checkRequirements } from '../../tokens/requirements.ts';
import type { FailureResponder } from '../core.ts';
import { loginRedirect, type BrowserLogin } from './browser-login.ts';
import type { TokenCheck } from './check.ts';
import { identityHeaderCache } from './identity-headers.ts';
import { hasRequirements, type ForwardAuthParams, type Requirements } from './query.ts';
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
  /** Session mode: forward-auth also accepts the session cookie (a browser login for any app). */
  sessions?: Pick<SessionService, 'cookie' | 'resolve'> | undefined;
  /** Session mode: forward-auth answers carry the session's access token for the upstream. */
  forwardAccessToken?: boolean;
}): Answers {
  const { check, fail, browserLogin, sessions } = deps;
  const identity = identityHeaderCache(deps.claimHeaders);

  /** 302 to the login for a browser without credentials (`redirect=login`), else undefined. */
  const loginFor = (request: Request, q: ForwardAuthParams, set: HeaderBag): Response | undefined => {
    if (q.redirect !== 'login' || browserLogin === undefined) return undefined;
    const location = loginRedirect(request.headers, browserLogin);
    if (location === undefined) return undefined;
    const headers = set.headers as Record<string, string>;
    headers.location = location;
    set.headers = {};
    return new Response(null, { status: 302, headers });
  };

  /** forward-auth with the session cookie instead of a bearer token. */
  const fromSession = async (s: NonNullable<typeof sessions>, request: Request, q: ForwardAuthParams, set: HeaderBag): Promise<Response> => {
    try {
      const active = await s.resolve(request.headers.get('cookie'), { refresh: true });
      if (active === undefined) return loginFor(request, q, set) ?? failureResponse(fail, new SessionRequired('no live session for the cookie'), set);
      const claims = active.data.claims;
      if (hasRequirements(q)) checkRequirements(claims, { roles: q.role, scopes: q.scope, audiences: q.aud });
      // The claims object lives as long as the stored session value (SessionService): memoized.
      const headers = identity(claims, true);
      if (!deps.forwardAccessToken) return jsonResponse(OK_BODY, set, headers);
      const token = active.data.accessToken;
      return jsonResponse(OK_BODY, set, [...headers, ['authorization', `Bearer ${token}`], ['x-auth-request-access-token', token]]);
    } catch (e) {
      return failureResponse(fail, e, set);
    }
  };
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
      if (authorization === null) {
        // A session cookie counts as credentials; a browser with none at all gets the login
        // instead of a 401 (`redirect=login`).
        if (sessions !== undefined && sessions.cookie.read(request.headers.get('cookie')) !== undefined) return fromSession(sessions, request, q, set);
        const login = loginFor(request, q, set);
        if (login !== undefined) return login;
      }
      return check.run(
        authorization,
        q,
        (claims, cached) => jsonResponse(OK_BODY, set, identity(claims, cached)),
        // nginx auth_request accepts only 2xx/401/403 from the subrequest: a malformed header is
        // answered 401 here (still with an RFC 6750 body) so the proxy maps it correctly.
        (e) => failureResponse(fail, e instanceof InvalidRequest ? new InvalidToken('bad_request', { description: e.message }) : e, set),
      );
    },
  };
}
