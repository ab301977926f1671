import { int, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';

/** How long and how many validation results are kept. */
export interface CacheConfig {
  cacheSize: number;
  introspectionCacheTtlSec: number;
}

export function cacheSection(env: Env, problems: Problems): CacheConfig {
  return {
    cacheSize: int(env, problems, 'ZITAUTH_CACHE_SIZE', 0, 10_000_000),
    introspectionCacheTtlSec: int(env, problems, 'ZITAUTH_INTROSPECTION_CACHE_TTL_SEC', 0, 86_400),
  };
}
