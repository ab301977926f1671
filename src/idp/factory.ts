/** The IdP client from the configuration, its calls timed into the metrics. */
import type { Config } from '../config/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { IdpClient } from './client.ts';

export function createIdpClient(deps: { config: Config; logger: Logger; metrics: Metrics; fetch?: typeof fetch; now: () => number }): IdpClient {
  const { config, logger, metrics } = deps;
  return new IdpClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    overrides: config.endpoints,
    timeoutMs: config.httpTimeoutMs,
    fetch: deps.fetch,
    now: deps.now,
    observe: (endpoint, ms, ok) => metrics.recordIdpCall(endpoint, ms / 1000, ok),
    onDiscoveryFallback: (err) =>
      logger.warn("discovery failed: optional endpoints (userinfo, introspection, end_session) use Zitadel's default paths under the issuer", { detail: err.detail }),
  });
}
