/** The session service from the configuration (session mode only). */
import type { Config } from '../config/index.ts';
import type { IdpClient } from '../idp/index.ts';
import type { Logger } from '../observability/logger.ts';
import { StoreUnavailable } from '../store/index.ts';
import type { Stores } from '../store/types.ts';
import type { LazyValidator } from '../tokens/lazy-validator.ts';
import { createJwtVerifier, type JwtVerifier } from '../tokens/verifier.ts';
import { SessionCookie } from './cookie.ts';
import { validateLogoutToken, type LogoutTarget } from './logout-token.ts';
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
    // A failing store (StoreUnavailable) is already counted and warned about at most every 10 s by
    // the store's own reporter (observability/store-metrics.ts): one line per request here would
    // undo that limit in an outage. Anything else is unexpected and logged each time.
    onStoreError: (err) => {
      if (err instanceof StoreUnavailable) return;
      logger.warn('session store call failed', { detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    },
  });
}

/**
 * Back-channel logout from the configuration: logout tokens are verified with the validator's
 * JWKS cache (one key set for everything), for our client id as audience; the matching sessions
 * end (none without session mode).
 */
export function createBackchannel(deps: { config: Config; idp: IdpClient; validator: LazyValidator; stores: Stores; sessions: SessionService | undefined; now?: () => number }) {
  const { config } = deps;
  let verifier: Promise<JwtVerifier> | undefined;
  const build = async (): Promise<JwtVerifier> => {
    await deps.validator.get();
    const meta = await deps.idp.metadata();
    return createJwtVerifier({
      issuer: meta.issuer,
      audience: [config.clientId],
      algorithms: config.algorithms,
      clockToleranceSec: config.clockToleranceSec,
      jwks: deps.validator.jwks!,
      types: ['logout+jwt', 'JWT'],
      now: deps.now,
    });
  };
  return {
    validate: (token: string) =>
      validateLogoutToken(token, {
        verifier: () => (verifier ??= build().catch((err) => {
          verifier = undefined;
          throw err;
        })),
        once: deps.stores.once,
        now: deps.now ?? Date.now,
      }),
    end: async (target: LogoutTarget) => (deps.sessions ? deps.sessions.endMatching(target) : 0),
  };
}
