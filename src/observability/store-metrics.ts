import type { StoreFailure } from '../store/redis/errors.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

/**
 * Failed state-store (Redis) calls: every one counted by kind, and a warning at most every 10 s
 * while they go on — an outage is one line per interval, not one per request.
 */
export function storeFailureReporter(metrics: Metrics, logger: Logger, now: () => number = Date.now): (failure: StoreFailure) => void {
  const failures = metrics.counter('zitauth_store_failures_total', 'Failed calls to the state store (Redis/Valkey), by kind.');
  let lastWarn = Number.NEGATIVE_INFINITY;
  let since = 0;
  return (failure) => {
    failures.inc({ failure });
    since++;
    const t = now();
    if (t - lastWarn < 10_000) return;
    logger.warn('state store (Redis) calls are failing: session routes answer 503, token validation is unaffected', { failure, failedCalls: since });
    lastWarn = t;
    since = 0;
  };
}
