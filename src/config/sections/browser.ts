import { bool, defaulted, int, list, origins, url, unique, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';
import type { IdentityConfig } from './identity.ts';
import type { LoginMode } from './session.ts';

/** What browsers may do: CORS, where a login may return and a logout may go, the login itself. */
export interface BrowserConfig {
  /** Origins allowed by CORS (SPA_ORIGIN + ZITAUTH_CORS_ORIGINS). */
  corsOrigins: string[];
  /** Origins a `return_to` may point to (SPA_ORIGIN + ZITAUTH_RETURN_TO_ORIGINS). */
  returnToOrigins: string[];
  postLogoutRedirectUris: string[];
  loginScopes: string;
  loginTtlSec: number;
  serveSpa: boolean;
}

export function browserSection(env: Env, problems: Problems, identity: IdentityConfig, loginMode: LoginMode = 'fragment'): BrowserConfig {
  const { spaOrigin } = identity;
  const postLogout = list(env.ZITAUTH_POST_LOGOUT_REDIRECT_URIS).flatMap((u) => url(problems, 'ZITAUTH_POST_LOGOUT_REDIRECT_URIS', u) ?? []);
  const scopes = defaulted(env, 'ZITAUTH_SCOPES').split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid')) problems.push('ZITAUTH_SCOPES must include "openid"');
  // Session mode refreshes tokens server-side: Zitadel issues a refresh token only for offline_access.
  if (loginMode === 'session' && !scopes.includes('offline_access')) scopes.push('offline_access');
  const loginScopes = scopes.join(' ');
  return {
    corsOrigins: unique([spaOrigin, ...origins(problems, 'ZITAUTH_CORS_ORIGINS', env.ZITAUTH_CORS_ORIGINS)]),
    returnToOrigins: unique([spaOrigin, ...origins(problems, 'ZITAUTH_RETURN_TO_ORIGINS', env.ZITAUTH_RETURN_TO_ORIGINS)]),
    postLogoutRedirectUris: postLogout.length ? postLogout : [`${spaOrigin}/`],
    loginScopes,
    loginTtlSec: int(env, problems, 'ZITAUTH_LOGIN_TTL_SEC', 30, 3600),
    serveSpa: bool(env, problems, 'ZITAUTH_SERVE_SPA'),
  };
}
