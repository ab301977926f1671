import { oneOf, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export const ACCESS_LOG_MODES = ['all', 'errors', 'off'] as const;

/** What the gateway writes to its log. */
export interface ObservabilityConfig {
  logLevel: (typeof LOG_LEVELS)[number];
  /** Access lines of the high-volume routes (/validate, /forward-auth); other routes always log. */
  accessLog: (typeof ACCESS_LOG_MODES)[number];
}

export function observabilitySection(env: Env, problems: Problems): ObservabilityConfig {
  return {
    logLevel: oneOf(env, problems, 'ZITAUTH_LOG_LEVEL', LOG_LEVELS),
    accessLog: oneOf(env, problems, 'ZITAUTH_ACCESS_LOG', ACCESS_LOG_MODES),
  };
}
