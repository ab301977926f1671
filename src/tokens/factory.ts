/**
 * Builds the token validator from the configuration: the JWKS cache (its URI from the IdP
 * metadata, so lazily), the JWT verifier with the audience rule, and the result caches.
 */
import type { Config } from '../config/index.ts';
import { ZitAuthError } from '../errors.ts';
import type { IdpClient } from '../idp/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { acceptsAudience, type AudienceRule } from './audience.ts';
import type { Introspect } from './introspector.ts';
import { JwksCache } from './jwks.ts';
import { LazyValidator } from './lazy-validator.ts';
import { TokenValidator } from './validator.ts';
import { createJwtVerifier } from './verifier.ts';

export interface ValidatorDeps {
  config: Config;
  idp: IdpClient;
  audience: AudienceRule;
  introspect: Introspect | undefined;
  logger: Logger;
  metrics: Metrics;
  fetch?: typeof fetch;
  now: () => number;
}

export function createLazyValidator(d: ValidatorDeps): LazyValidator {
  const { config, metrics } = d;
  return new LazyValidator(async () => {
    const meta = await d.idp.metadata();
    const jwks = new JwksCache({
      jwksUri: meta.jwks_uri,
      fetch: d.fetch,
      timeoutMs: config.httpTimeoutMs,
      minRefreshIntervalMs: config.jwksMinRefreshIntervalMs,
      maxAgeMs: config.jwksMaxAgeSec * 1000,
      onRefresh: (ok, ms) => {
        metrics.jwksRefreshes.inc({ outcome: ok ? 'ok' : 'error' });
        metrics.recordIdpCall('jwks', ms / 1000, ok);
        if (ok) reportIgnored();
      },
      onRefreshFailed: (err) =>
        d.logger.warn('JWKS refresh failed; the last good keys stay in use', {
          code: err instanceof ZitAuthError ? err.code : 'SERVER_ERROR',
          detail: err instanceof ZitAuthError ? err.detail ?? err.message : String(err),
        }),
    });
    // Keys the set lists but that can verify nothing (say, an unsupported type): once per change.
    let reported = '';
    const reportIgnored = () => {
      const ignored = jwks.ignoredKeys;
      const now = JSON.stringify(ignored);
      if (now !== reported && ignored.length > 0) d.logger.warn('JWKS lists keys that cannot verify tokens; they are ignored', { keys: ignored });
      reported = now;
    };
    const verifier = createJwtVerifier({
      issuer: meta.issuer,
      audience: (aud, claims) => acceptsAudience(d.audience, aud, claims),
      algorithms: config.algorithms,
      clockToleranceSec: config.clockToleranceSec,
      jwks,
      now: d.now,
    });
    const validator = new TokenValidator({
      verifier,
      introspect: d.introspect,
      cacheSize: config.cacheSize,
      introspectionTtlSec: config.introspectionCacheTtlSec,
      now: d.now,
    });
    return { validator, jwks };
  }, () => d.idp.ready);
}
