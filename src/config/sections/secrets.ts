import { randomBytes } from 'node:crypto';
import { secret, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';

/** The secret every cookie key is derived from. */
export interface SecretsConfig {
  cookieSecret: string;
  /** True when no secret was configured and one was generated for this process only. */
  cookieSecretGenerated: boolean;
}

export function secretsSection(env: Env, problems: Problems): SecretsConfig {
  const configured = secret(env, problems, 'ZITAUTH_COOKIE_SECRET', 'ZITAUTH_COOKIE_SECRET_FILE');
  if (configured !== undefined && configured.length < 32) {
    problems.push('ZITAUTH_COOKIE_SECRET must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  }
  if (configured) return { cookieSecret: configured, cookieSecretGenerated: false };
  return { cookieSecret: randomBytes(32).toString('base64url'), cookieSecretGenerated: true };
}
