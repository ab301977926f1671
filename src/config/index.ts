export { loadConfig, readEnvironment, parseDotenv, ConfigError } from './load.ts';
export { EnvSchema, type Config, type Env, type ApiKeyDigest } from './schema.ts';
