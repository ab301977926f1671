import type { Config } from '../config/index.ts';
import type { Logger } from './logger.ts';

/** What an operator should change, said once at start: settings that work but are weak. */
export function warnAboutSetup(config: Config, logger: Logger): void {
  if (config.audienceDefaulted && !config.projectId) {
    logger.warn('ZITAUTH_PROJECT_ID is not set: accepting tokens for the client id and the configured service user only. Set ZITAUTH_PROJECT_ID (or ZITAUTH_AUDIENCE) to pin the audience to your project.');
  }
  if (config.cookieSecretGenerated) {
    logger.warn(
      `ZITAUTH_COOKIE_SECRET is not set: using a random per-process secret. Logins in progress fail after a restart${config.loginMode === 'session' ? ', sessions end with it' : ''}, and replicas cannot share logins.`,
    );
  }
}
