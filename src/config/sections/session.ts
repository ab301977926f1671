import { parseUpstreams, type Upstream } from '../../proxy/upstreams.ts';
import { bool, int, oneOf, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';
import type { IdentityConfig } from './identity.ts';

export const LOGIN_MODES = ['fragment', 'session'] as const;
export type LoginMode = (typeof LOGIN_MODES)[number];

/** Session mode (backend for frontend): where tokens stay, how long sessions live. */
export interface SessionConfig {
  loginMode: LoginMode;
  session: {
    idleSec: number;
    maxSec: number;
    /** Bound of the in-memory store. */
    maxCount: number;
    refreshSkewSec: number;
    /** The gateway's own origin (the callback's), where the session cookie lives. */
    origin: string;
    /**
     * Secure cookie with the `__Host-` prefix; false only for a plain-http loopback origin
     * (development), where browsers would refuse a Secure cookie.
     */
    secureCookie: boolean;
    /** The API proxy's allow-list (ZITAUTH_UPSTREAMS), by name. */
    upstreams: ReadonlyMap<string, Upstream>;
    upstreamTimeoutMs: number;
    forwardAccessToken: boolean;
  };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function sessionSection(env: Env, problems: Problems, identity: IdentityConfig): SessionConfig {
  const loginMode = oneOf(env, problems, 'ZITAUTH_LOGIN_MODE', LOGIN_MODES);
  const idleSec = int(env, problems, 'ZITAUTH_SESSION_IDLE_SEC', 60, 30 * 86_400);
  const maxSec = int(env, problems, 'ZITAUTH_SESSION_MAX_SEC', 60, 90 * 86_400);
  let origin = '';
  let secureCookie = true;
  try {
    const u = new URL(identity.redirectUri);
    origin = u.origin;
    secureCookie = u.protocol === 'https:' || !LOOPBACK_HOSTS.has(u.hostname);
    // A Secure cookie set over plain http on a real host never comes back: refuse the setup.
    if (loginMode === 'session' && u.protocol === 'http:' && secureCookie) {
      problems.push('ZITAUTH_LOGIN_MODE=session needs an https ZITADEL_REDIRECT_URL (plain http is accepted for localhost only): the session cookie is Secure');
    }
  } catch {
    // identitySection reports a bad ZITADEL_REDIRECT_URL.
  }
  if (idleSec > maxSec) problems.push('ZITAUTH_SESSION_IDLE_SEC must not exceed ZITAUTH_SESSION_MAX_SEC');
  const { upstreams, problems: upstreamProblems } = parseUpstreams(env.ZITAUTH_UPSTREAMS ?? '');
  problems.push(...upstreamProblems);
  // The proxy adds the session's access token: without sessions there is nothing to add.
  if (upstreams.size > 0 && loginMode !== 'session') problems.push('ZITAUTH_UPSTREAMS needs ZITAUTH_LOGIN_MODE=session (the proxy sends the session access token)');
  return {
    loginMode,
    session: {
      idleSec,
      maxSec,
      maxCount: int(env, problems, 'ZITAUTH_SESSION_MAX_COUNT', 1, 10_000_000),
      refreshSkewSec: int(env, problems, 'ZITAUTH_SESSION_REFRESH_SKEW_SEC', 0, 3600),
      origin,
      secureCookie,
      upstreams,
      upstreamTimeoutMs: int(env, problems, 'ZITAUTH_UPSTREAM_TIMEOUT_MS', 100, 600_000),
      forwardAccessToken: bool(env, problems, 'ZITAUTH_FORWARD_ACCESS_TOKEN'),
    },
  };
}
