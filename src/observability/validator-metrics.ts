import type { LazyValidator } from '../tokens/lazy-validator.ts';
import type { Metrics } from './metrics.ts';

/** The validation caches' counters, read from the validator at scrape time (0 until it is built). */
export function registerValidatorMetrics(metrics: Metrics, validator: LazyValidator): void {
  const stats = () => validator.current?.stats;
  metrics.gauge('zitauth_validate_cache_hits_total', 'Validation cache hits.', 'counter', () => stats()?.cache.hits ?? 0);
  metrics.gauge('zitauth_validate_cache_misses_total', 'Validation cache misses.', 'counter', () => stats()?.cache.misses ?? 0);
  metrics.gauge('zitauth_validate_cache_not_admitted_total', 'Verified tokens not cached: the cache was full and the token was new (stored when seen again).', 'counter', () => stats()?.cache.notAdmitted ?? 0);
  metrics.gauge('zitauth_validate_cache_entries', 'Tokens in the validation cache.', 'gauge', () => stats()?.cache.size ?? 0);
  metrics.gauge('zitauth_validate_negative_cache_hits_total', 'Rejected tokens answered from the negative cache.', 'counter', () => stats()?.negative.hits ?? 0);
}
