import { int, list, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';
import type { IdentityConfig } from './identity.ts';

/** Asymmetric JWS algorithms only: with HS* anyone holding the public JWKS could forge tokens. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** How bearer tokens are checked. */
export interface TokensConfig {
  projectId: string | undefined;
  audience: string[];
  /** True when ZITAUTH_AUDIENCE was not set and `audience` is a default. */
  audienceDefaulted: boolean;
  algorithms: string[];
  clockToleranceSec: number;
  jwksMinRefreshIntervalMs: number;
  jwksMaxAgeSec: number;
}

export function tokensSection(env: Env, problems: Problems, identity: IdentityConfig): TokensConfig {
  const algorithms = list(env.ZITAUTH_ALLOWED_ALGS);
  for (const a of algorithms) {
    if (!(ALLOWED_ALGORITHMS as readonly string[]).includes(a)) {
      problems.push(`ZITAUTH_ALLOWED_ALGS: "${a}" is not allowed (asymmetric algorithms only: ${ALLOWED_ALGORITHMS.join(', ')})`);
    }
  }
  if (algorithms.length === 0) problems.push('ZITAUTH_ALLOWED_ALGS must name at least one algorithm');
  const projectId = env.ZITAUTH_PROJECT_ID;
  const audience = list(env.ZITAUTH_AUDIENCE);
  return {
    projectId,
    audience: audience.length ? audience : [projectId ?? identity.clientId],
    audienceDefaulted: audience.length === 0,
    algorithms,
    clockToleranceSec: int(env, problems, 'ZITAUTH_CLOCK_TOLERANCE_SEC', 0, 300),
    jwksMinRefreshIntervalMs: int(env, problems, 'ZITAUTH_JWKS_MIN_REFRESH_INTERVAL_MS', 100, 60_000),
    jwksMaxAgeSec: int(env, problems, 'ZITAUTH_JWKS_MAX_AGE_SEC', 10, 86_400),
  };
}
