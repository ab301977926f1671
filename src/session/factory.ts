/** The session service from the configuration (session mode only). */
import type { Config } from '../config/index.ts';
import type { IdpClient } from '../idp/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Stores } from '../store/types.ts';
import type { LazyValidator } from '../tokens/lazy-validator.ts';
import { SessionCookie } from './cookie.ts';
import { SessionService, type SessionEvents } from './service.ts';

export function createSessionService(deps: {
  config: Config;
  stores: Stores;
  idp: IdpClient;
  validator: LazyValidator;
  logger: Logger;
  events?: SessionEvents;
  now?: () => number;
}): SessionService {
  const { config, logger } = deps;
  const s = config.session;
  return new SessionService({
    stores: deps.stores,
    cookieSecret: config.cookieSecret,
    cookie: new SessionCookie({ secure: s.secureCookie, maxAgeSec: s.maxSec }),
    settings: { idleSec: s.idleSec, maxSec: s.maxSec, refreshSkewSec: s.refreshSkewSec },
    refresh: (rt) => deps.idp.refresh(rt),
    claimsOf: async (accessToken) => {
      try {
        return await deps.validator.validate(accessToken);
      } catch (err) {
        // An opaque token without introspection configured: the ID token's claims stand in.
        logger.debug('session: the access token could not be validated here; using the ID token claims', {
          detail: err instanceof Error ? err.message : String(err),
        });
        return undefined;
      }
    },
    // The refresh call is bounded by the IdP timeout; the lock outlives it with room to spare.
    refreshLeaseMs: 3 * config.httpTimeoutMs,
    now: deps.now,
    events: deps.events,
    onStoreError: (err) => logger.warn('session store call failed', { detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
  });
}
