import { int, url, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';

/**
 * IdP endpoints set explicitly. The original ZitAuth's `.env` sets the first four; whatever is
 * not set (and, lazily, the optional ones even then) comes from discovery.
 */
export interface EndpointOverrides {
  authorization?: string;
  token?: string;
  jwks?: string;
  userinfo?: string;
  introspection?: string;
  endSession?: string;
}

/** How the gateway reaches Zitadel. */
export interface EndpointsConfig {
  endpoints: EndpointOverrides;
  /** Timeout of every outbound call to the IdP. */
  httpTimeoutMs: number;
}

export function endpointsSection(env: Env, problems: Problems): EndpointsConfig {
  const endpoints: EndpointOverrides = {};
  const set = (key: keyof EndpointOverrides, value: string | undefined) => {
    if (value !== undefined) endpoints[key] = value;
  };
  set('authorization', url(problems, 'ZITADEL_AUTHORIZATION_ENDPOINT', env.ZITADEL_AUTHORIZATION_ENDPOINT));
  set('token', url(problems, 'ZITADEL_TOKEN_ENDPOINT', env.ZITADEL_TOKEN_ENDPOINT));
  set('jwks', url(problems, 'ZITADEL_JWKS_URI', env.ZITADEL_JWKS_URI));
  set('userinfo', url(problems, 'ZITADEL_USERINFO_ENDPOINT', env.ZITADEL_USERINFO_ENDPOINT));
  set('introspection', url(problems, 'ZITAUTH_INTROSPECTION_ENDPOINT', env.ZITAUTH_INTROSPECTION_ENDPOINT));
  set('endSession', url(problems, 'ZITAUTH_END_SESSION_ENDPOINT', env.ZITAUTH_END_SESSION_ENDPOINT));
  return { endpoints, httpTimeoutMs: int(env, problems, 'ZITAUTH_HTTP_TIMEOUT_MS', 100, 120_000) };
}
