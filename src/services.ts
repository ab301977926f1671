/**
 * Composes the gateway's modules from the validated config. Construction lives with each module
 * (m2m/service.ts, tokens/factory.ts, tokens/introspector.ts, login/…); this file only wires.
 * Reads key files; never throws for a missing one.
 */
import type { Config } from './config/index.ts';
import type { IdpClient } from './idp/index.ts';
import { createIdpClient } from './idp/factory.ts';
import { warnAboutSetup } from './observability/startup-warnings.ts';
import { audienceRule } from './tokens/audience.ts';
import { createIntrospector } from './tokens/introspector.ts';
import { createLazyValidator } from './tokens/factory.ts';
import type { LazyValidator } from './tokens/lazy-validator.ts';
import { createM2mService } from './m2m/service.ts';
import type { TokenBroker } from './m2m/broker.ts';
import { ApiKeyGate } from './m2m/api-keys.ts';
import { createLoginService, type LoginService } from './login/service.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import { registerValidatorMetrics } from './observability/validator-metrics.ts';
import { sessionMetrics } from './observability/session-metrics.ts';
import { storeFailureReporter } from './observability/store-metrics.ts';
import { createStores, type Stores } from './store/index.ts';
import { createBackchannel, createSessionService } from './session/factory.ts';
import { sessionDelivery } from './session/delivery.ts';
import type { SessionService } from './session/service.ts';

/** Injectable I/O (style habit 4): tests pass their own fetch, clock and log sink. */
export interface ServiceIo {
  fetch?: typeof fetch;
  now?: () => number;
  logSink?: (line: string) => void;
}

export interface Services {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  idp: IdpClient;
  validator: LazyValidator;
  login: LoginService;
  /** Session mode only (ZITAUTH_LOGIN_MODE=session). */
  sessions: SessionService | undefined;
  backchannel: ReturnType<typeof createBackchannel>;
  stores: Stores;
  gate: ApiKeyGate;
  m2m: TokenBroker | undefined;
  m2mUnavailableReason: string;
}

export async function createServices(config: Config, io: ServiceIo = {}): Promise<Services> {
  const logger = createLogger(config.logLevel, io.logSink);
  const metrics = new Metrics();
  const now = io.now ?? Date.now;
  const idp = createIdpClient({ config, logger, metrics, fetch: io.fetch, now });
  const stores = createStores(config, io.now, storeFailureReporter(metrics, logger));
  const m2m = await createM2mService({ config, idp, logger, now, stores });
  const audience = audienceRule(config, m2m.serviceUserId);
  const introspect = await createIntrospector({ config, idp, logger });
  const validator = createLazyValidator({ config, idp, audience, introspect, logger, metrics, fetch: io.fetch, now });
  registerValidatorMetrics(metrics, validator);
  const sessions =
    config.loginMode === 'session'
      ? createSessionService({ config, stores, idp, validator, logger, events: sessionMetrics(metrics, stores), now: io.now })
      : undefined;
  const login = createLoginService({ config, idp, used: stores.once, delivery: sessions && sessionDelivery(sessions), now: io.now });
  const backchannel = createBackchannel({ config, idp, validator, stores, sessions, now: io.now });
  warnAboutSetup(config, logger);
  return {
    config,
    logger,
    metrics,
    idp,
    validator,
    login,
    sessions,
    backchannel,
    stores,
    gate: new ApiKeyGate(config.m2mApiKeys),
    m2m: m2m.broker,
    m2mUnavailableReason: m2m.unavailableReason,
  };
}
