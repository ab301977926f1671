export { loadConfig, ConfigError } from './load.ts';
export { readEnvironment, parseDotenv, type RawEnv } from './env-file.ts';
export { EnvSchema, type Env } from './schema.ts';
export type { Config, ApiKeyDigest, EndpointOverrides } from './types.ts';
