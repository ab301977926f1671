/**
 * `ANY /api/v1/proxy/{name}/{path…}` — session mode's API proxy (OAuth 2.0 for Browser-Based
 * Applications draft §6.1.3.6): the SPA calls its APIs through the gateway with its session
 * cookie; the gateway checks the CSRF defence, adds the session's access token and the identity
 * headers, and forwards method, path, query and a streamed body to the allow-listed upstream
 * (ZITAUTH_UPSTREAMS). The browser's Cookie and Authorization never reach the upstream; the
 * upstream's Set-Cookie for the gateway's own cookies never reaches the browser.
 */
import { Elysia, t } from 'elysia';
import { InvalidRequest, SessionRequired, ZitAuthError } from '../errors.ts';
import { forward } from '../proxy/forward.ts';
import { upstreamRequestHeaders } from '../proxy/headers.ts';
import { proxyPathParts, targetUrl } from '../proxy/target.ts';
import type { Upstream } from '../proxy/upstreams.ts';
import { COOKIE_PREFIX } from '../login/state-cookie.ts';
import { SESSION_COOKIE_NAMES } from '../session/cookie.ts';
import { checkCsrf } from '../session/csrf.ts';
import type { SessionService } from '../session/service.ts';
import { ErrorBody } from './schemas.ts';
import { identityHeaderCache } from './validate/identity-headers.ts';

const PROXY_PREFIX = '/api/v1/proxy/';

/** The gateway's own cookies: an upstream may not set them in the browser. */
const isGatewayCookie = (name: string) => name === SESSION_COOKIE_NAMES.secure || name === SESSION_COOKIE_NAMES.loopback || name.startsWith(COOKIE_PREFIX);

export function proxyRoutes(deps: {
  sessions: SessionService | undefined;
  upstreams: ReadonlyMap<string, Upstream>;
  timeoutMs: number;
  allowedOrigins: ReadonlySet<string>;
  claimHeaders: Record<string, string>;
  /** The scheme browsers use to reach the gateway (for Forwarded / X-Forwarded-Proto). */
  proto: 'http' | 'https';
}) {
  const { sessions, upstreams, allowedOrigins } = deps;
  const reserved = Object.values(deps.claimHeaders);
  // A session's claims object stays the same while its stored value does (SessionService): its
  // identity headers are built once, not per proxied call.
  const identity = identityHeaderCache(deps.claimHeaders);
  return new Elysia({ name: 'zitauth/proxy' }).all(
    `${PROXY_PREFIX}*`,
    async ({ request, server }) => {
      checkCsrf(request.headers, allowedOrigins);
      const active = sessions ? await sessions.resolve(request.headers.get('cookie'), { refresh: true }) : undefined;
      if (active === undefined) throw new SessionRequired();
      const parts = proxyPathParts(request.url, PROXY_PREFIX);
      const upstream = parts && upstreams.get(parts.name);
      if (!parts || !upstream) throw new ZitAuthError('NOT_FOUND', 404, 'not_found', 'No such upstream (ZITAUTH_UPSTREAMS).');
      const target = targetUrl(upstream, parts.rest, parts.search);
      if (!target) throw new InvalidRequest('The proxied path is not allowed.');
      const headers = upstreamRequestHeaders(request.headers, {
        accessToken: active.data.accessToken,
        identity: identity(active.data.claims, true),
        reserved,
        target,
        clientAddress: server?.requestIP(request)?.address,
        proto: deps.proto,
      });
      return forward(request, target, headers, { timeoutMs: deps.timeoutMs, isGatewayCookie });
    },
    {
      // The body is streamed to the upstream as it arrives: never parsed, never buffered.
      parse: 'none',
      response: {
        200: t.Unknown({ description: "The upstream's answer: its status, headers (less hop-by-hop and the gateway's cookies) and streamed body" }),
        400: ErrorBody,
        401: ErrorBody,
        403: ErrorBody,
        404: ErrorBody,
        502: ErrorBody,
        503: ErrorBody,
        504: ErrorBody,
      },
      detail: {
        tags: ['Session'],
        summary: 'Call an upstream API with the session (session mode)',
        description:
          'Needs the session cookie and the header `X-CSRF: 1` (an Origin, when sent, must be the gateway’s). Forwards to the ZITAUTH_UPSTREAMS entry `{name}` with `Authorization: Bearer <session access token>` and the forward-auth identity headers. 401 `login_required` without a session, 403 without the CSRF header, 404 for an unknown upstream, 502/504 when it fails or is too slow.',
      },
    },
  );
}
