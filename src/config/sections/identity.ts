import { required, url, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';

/** Who the gateway is at Zitadel: the issuer, its own client, its callback and the SPA it serves. */
export interface IdentityConfig {
  /** The OIDC issuer, without a trailing slash (Zitadel's `iss` has none). */
  issuer: string;
  clientId: string;
  redirectUri: string;
  spaOrigin: string;
}

export function identitySection(env: Env, problems: Problems): IdentityConfig {
  const issuer = url(problems, 'ZITADEL_DOMAIN', required(env, problems, 'ZITADEL_DOMAIN')) ?? '';
  return {
    issuer: issuer.replace(/\/+$/, ''),
    clientId: required(env, problems, 'ZITADEL_CLIENT_ID'),
    redirectUri: url(problems, 'ZITADEL_REDIRECT_URL', required(env, problems, 'ZITADEL_REDIRECT_URL')) ?? '',
    spaOrigin: url(problems, 'SPA_ORIGIN', required(env, problems, 'SPA_ORIGIN'), { origin: true }) ?? '',
  };
}
