import type { RawEnv } from './env-file.ts';
import { withDefaults, type Problems } from './read.ts';
import { browserSection } from './sections/browser.ts';
import { cacheSection } from './sections/cache.ts';
import { endpointsSection } from './sections/endpoints.ts';
import { forwardAuthSection } from './sections/forward-auth.ts';
import { identitySection } from './sections/identity.ts';
import { introspectionSection } from './sections/introspection.ts';
import { m2mSection } from './sections/m2m.ts';
import { observabilitySection } from './sections/observability.ts';
import { secretsSection } from './sections/secrets.ts';
import { serverSection } from './sections/server.ts';
import { sessionSection } from './sections/session.ts';
import { storeSection } from './sections/store.ts';
import { tokensSection } from './sections/tokens.ts';
import type { Config } from './types.ts';

/** Every configuration problem found, listed at once, each naming its variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Validates the environment once and returns the typed {@link Config}: every section reads its
 * variables and records its problems; all of them are reported together.
 * @throws ConfigError listing every problem (never a secret value).
 */
export function loadConfig(raw: RawEnv): Config {
  const problems: Problems = [];
  const env = withDefaults(raw);
  const identity = identitySection(env, problems);
  const tokens = tokensSection(env, problems, identity);
  const session = sessionSection(env, problems, identity);
  const config: Config = {
    ...serverSection(env, problems),
    ...identity,
    ...endpointsSection(env, problems),
    ...browserSection(env, problems, identity, session.loginMode),
    ...session,
    ...secretsSection(env, problems),
    ...tokens,
    ...cacheSection(env, problems),
    ...introspectionSection(env, problems),
    ...m2mSection(env, problems, tokens),
    ...forwardAuthSection(env, problems),
    ...observabilitySection(env, problems),
    ...storeSection(env, problems),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
