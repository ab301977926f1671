/**
 * The validated, typed configuration every module receives: one part per section in
 * `sections/`, each built from the environment by its own `(env, problems)` function.
 */
import type { BrowserConfig } from './sections/browser.ts';
import type { CacheConfig } from './sections/cache.ts';
import type { EndpointsConfig } from './sections/endpoints.ts';
import type { ForwardAuthConfig } from './sections/forward-auth.ts';
import type { IdentityConfig } from './sections/identity.ts';
import type { IntrospectionConfig } from './sections/introspection.ts';
import type { M2mConfig } from './sections/m2m.ts';
import type { ObservabilityConfig } from './sections/observability.ts';
import type { SecretsConfig } from './sections/secrets.ts';
import type { ServerConfig } from './sections/server.ts';
import type { SessionConfig } from './sections/session.ts';
import type { StoreConfig } from './sections/store.ts';
import type { TokensConfig } from './sections/tokens.ts';

export type { ApiKeyDigest } from './sections/m2m.ts';
export type { EndpointOverrides } from './sections/endpoints.ts';
export type { RedisConfig, StoreKind } from './sections/store.ts';

export type Config = ServerConfig &
  IdentityConfig &
  EndpointsConfig &
  BrowserConfig &
  SecretsConfig &
  TokensConfig &
  CacheConfig &
  IntrospectionConfig &
  M2mConfig &
  ForwardAuthConfig &
  ObservabilityConfig &
  SessionConfig &
  StoreConfig;
