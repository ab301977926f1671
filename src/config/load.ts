import { readFileSync, existsSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { EnvSchema, type ApiKeyDigest, type Config, type Env, type EnvName } from './schema.ts';

/** Every configuration problem found, listed at once, each naming its variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type RawEnv = Record<string, string | undefined>;

/**
 * Parses a dotenv file: KEY=VALUE lines, `#` comments, optional single/double quotes, `export `
 * prefix. Deliberately small: ZitAuth reads `.env` itself (the compiled binary is built with
 * `--no-compile-autoload-dotenv`) so there is exactly one rule for where configuration comes from.
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? (quoted[2] ?? '').replace(/\\n/g, '\n') : (quoted[2] ?? '');
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]!] = value;
  }
  return out;
}

/** Environment with `.env` (if present) underneath: real environment variables win. */
export function readEnvironment(env: RawEnv = process.env, envFile = '.env'): RawEnv {
  if (!existsSync(envFile)) return { ...env };
  return { ...parseDotenv(readFileSync(envFile, 'utf8')), ...env };
}

const list = (v: string | undefined): string[] =>
  (v ?? '').split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);

const stripSlash = (u: string) => u.replace(/\/+$/, '');

/**
 * Validates the environment once and returns the typed {@link Config}.
 * @throws ConfigError listing every problem (never a secret value).
 */
export function loadConfig(raw: RawEnv): Config {
  const problems: string[] = [];
  const env: Partial<Env> = {};
  for (const key of Object.keys(EnvSchema.properties) as EnvName[]) {
    const v = raw[key];
    if (v !== undefined && v.trim() !== '') env[key] = v.trim();
  }
  const withDefaults = Value.Default(EnvSchema, env) as Env;

  const required = (name: EnvName): string => {
    const v = withDefaults[name];
    if (!v) problems.push(`${name} is required`);
    return v ?? '';
  };
  const url = (name: EnvName, value: string | undefined, opts: { origin?: boolean } = {}): string | undefined => {
    if (!value) return undefined;
    try {
      const u = new URL(value);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      if (opts.origin && (u.pathname !== '/' || u.search || u.hash)) {
        problems.push(`${name} must be an origin (scheme://host[:port]) without a path, got "${value}"`);
      }
      return opts.origin ? u.origin : value;
    } catch {
      problems.push(`${name} must be an absolute http(s) URL, got "${value}"`);
      return undefined;
    }
  };
  const int = (name: EnvName, min: number, max: number): number => {
    const v = withDefaults[name] ?? '';
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max}, got "${v}"`);
      return min;
    }
    return n;
  };
  const bool = (name: EnvName): boolean => {
    const v = (withDefaults[name] ?? 'false').toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (!['false', '0', 'no', 'off'].includes(v)) problems.push(`${name} must be true or false, got "${v}"`);
    return false;
  };
  const secret = (name: EnvName, fileName: EnvName): string | undefined => {
    const direct = withDefaults[name];
    const file = withDefaults[fileName];
    if (direct && file) problems.push(`set only one of ${name} and ${fileName}`);
    if (file) {
      try {
        return readFileSync(file, 'utf8').trim();
      } catch {
        problems.push(`${fileName}: cannot read file "${file}"`);
        return undefined;
      }
    }
    return direct;
  };

  const issuer = stripSlash(url('ZITADEL_DOMAIN', required('ZITADEL_DOMAIN')) ?? '');
  const clientId = required('ZITADEL_CLIENT_ID');
  const redirectUri = url('ZITADEL_REDIRECT_URL', required('ZITADEL_REDIRECT_URL')) ?? '';
  const spaOrigin = url('SPA_ORIGIN', required('SPA_ORIGIN'), { origin: true }) ?? '';
  const port = int('PORT', 0, 65535);
  const extraOrigins = list(withDefaults.ZITAUTH_CORS_ORIGINS).map((o) => url('ZITAUTH_CORS_ORIGINS', o, { origin: true }));
  const returnOrigins = list(withDefaults.ZITAUTH_RETURN_TO_ORIGINS).map((o) => url('ZITAUTH_RETURN_TO_ORIGINS', o, { origin: true }));
  const postLogout = list(withDefaults.ZITAUTH_POST_LOGOUT_REDIRECT_URIS).map((o) => url('ZITAUTH_POST_LOGOUT_REDIRECT_URIS', o));

  const algorithms = list(withDefaults.ZITAUTH_ALLOWED_ALGS);
  const allowedAlgs = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
  for (const a of algorithms) {
    if (!allowedAlgs.includes(a)) {
      problems.push(`ZITAUTH_ALLOWED_ALGS: "${a}" is not allowed (asymmetric algorithms only: ${allowedAlgs.join(', ')})`);
    }
  }
  if (algorithms.length === 0) problems.push('ZITAUTH_ALLOWED_ALGS must name at least one algorithm');

  const m2mApiKeys = parseApiKeys(
    [withDefaults.ZITAUTH_M2M_API_KEYS, readOptionalFile('ZITAUTH_M2M_API_KEYS_FILE', withDefaults.ZITAUTH_M2M_API_KEYS_FILE, problems)]
      .filter(Boolean)
      .join(','),
    problems,
  );

  let cookieSecret = secret('ZITAUTH_COOKIE_SECRET', 'ZITAUTH_COOKIE_SECRET_FILE');
  let cookieSecretGenerated = false;
  if (cookieSecret !== undefined && cookieSecret.length < 32) {
    problems.push('ZITAUTH_COOKIE_SECRET must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  }
  if (!cookieSecret) {
    cookieSecret = randomBytes(32).toString('base64url');
    cookieSecretGenerated = true;
  }

  let introspection: Config['introspection'];
  const introKey = withDefaults.ZITAUTH_INTROSPECTION_KEY_FILE;
  const introId = withDefaults.ZITAUTH_INTROSPECTION_CLIENT_ID;
  const introSecret = secret('ZITAUTH_INTROSPECTION_CLIENT_SECRET', 'ZITAUTH_INTROSPECTION_CLIENT_SECRET_FILE');
  if (introKey && (introId || introSecret)) {
    problems.push('set either ZITAUTH_INTROSPECTION_KEY_FILE or ZITAUTH_INTROSPECTION_CLIENT_ID/_SECRET, not both');
  } else if (introKey) {
    if (!existsSync(introKey)) problems.push(`ZITAUTH_INTROSPECTION_KEY_FILE: file "${introKey}" does not exist`);
    introspection = { kind: 'private_key_jwt', keyFile: introKey };
  } else if (introId || introSecret) {
    if (!introId) problems.push('ZITAUTH_INTROSPECTION_CLIENT_ID is required with a client secret');
    if (!introSecret) problems.push('ZITAUTH_INTROSPECTION_CLIENT_SECRET is required with a client id');
    introspection = { kind: 'basic', clientId: introId ?? '', clientSecret: introSecret ?? '' };
  }

  const claimHeaders: Record<string, string> = {};
  for (const pair of list(withDefaults.ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS)) {
    const i = pair.lastIndexOf('=');
    const claim = pair.slice(0, i);
    const header = pair.slice(i + 1);
    if (i <= 0 || !/^[A-Za-z0-9-]+$/.test(header)) {
      problems.push(`ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS: "${pair}" must look like claim=Header-Name`);
    } else claimHeaders[claim] = header;
  }

  const logLevel = withDefaults.ZITAUTH_LOG_LEVEL ?? 'info';
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    problems.push(`ZITAUTH_LOG_LEVEL must be one of debug, info, warn, error, silent, got "${logLevel}"`);
  }

  const projectId = withDefaults.ZITAUTH_PROJECT_ID;
  const audience = list(withDefaults.ZITAUTH_AUDIENCE);
  const m2mScopes =
    withDefaults.ZITAUTH_M2M_SCOPES ??
    ['openid', projectId && `urn:zitadel:iam:org:project:id:${projectId}:aud`].filter(Boolean).join(' ');
  const loginScopes = withDefaults.ZITAUTH_SCOPES ?? 'openid email profile';
  if (!loginScopes.split(' ').includes('openid')) problems.push('ZITAUTH_SCOPES must include "openid"');
  if (!m2mScopes.split(' ').includes('openid')) problems.push('ZITAUTH_M2M_SCOPES must include "openid" (Zitadel requires it)');

  const endpoints: Config['endpoints'] = {
    authorization: url('ZITADEL_AUTHORIZATION_ENDPOINT', withDefaults.ZITADEL_AUTHORIZATION_ENDPOINT),
    token: url('ZITADEL_TOKEN_ENDPOINT', withDefaults.ZITADEL_TOKEN_ENDPOINT),
    jwks: url('ZITADEL_JWKS_URI', withDefaults.ZITADEL_JWKS_URI),
    userinfo: url('ZITADEL_USERINFO_ENDPOINT', withDefaults.ZITADEL_USERINFO_ENDPOINT),
    introspection: url('ZITAUTH_INTROSPECTION_ENDPOINT', withDefaults.ZITAUTH_INTROSPECTION_ENDPOINT),
    endSession: url('ZITAUTH_END_SESSION_ENDPOINT', withDefaults.ZITAUTH_END_SESSION_ENDPOINT),
  };

  const config: Config = {
    port,
    host: withDefaults.ZITAUTH_HOST ?? '0.0.0.0',
    issuer,
    clientId,
    redirectUri,
    spaOrigin,
    corsOrigins: unique([spaOrigin, ...extraOrigins.filter(isString)]),
    returnToOrigins: unique([spaOrigin, ...returnOrigins.filter(isString)]),
    postLogoutRedirectUris: postLogout.length ? postLogout.filter(isString) : [`${spaOrigin}/`],
    serviceAccountFile: withDefaults.SERVICE_ACCOUNT_FILE,
    projectId,
    audience: audience.length ? audience : [projectId ?? clientId],
    audienceDefaulted: audience.length === 0,
    loginScopes,
    m2mScopes,
    m2mApiKeys,
    cookieSecret,
    cookieSecretGenerated,
    algorithms,
    clockToleranceSec: int('ZITAUTH_CLOCK_TOLERANCE_SEC', 0, 300),
    httpTimeoutMs: int('ZITAUTH_HTTP_TIMEOUT_MS', 100, 120_000),
    endpoints,
    introspection,
    cacheSize: int('ZITAUTH_CACHE_SIZE', 0, 10_000_000),
    introspectionCacheTtlSec: int('ZITAUTH_INTROSPECTION_CACHE_TTL_SEC', 0, 86_400),
    forwardAuthClaimHeaders: claimHeaders,
    loginTtlSec: int('ZITAUTH_LOGIN_TTL_SEC', 30, 3600),
    serveSpa: bool('ZITAUTH_SERVE_SPA'),
    logLevel: logLevel as Config['logLevel'],
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function readOptionalFile(name: string, path: string | undefined, problems: string[]): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    problems.push(`${name}: cannot read file "${path}"`);
    return undefined;
  }
}

/** `sha256:<hex>` entries are stored as given; plain keys are hashed at once so no plain key is kept. */
function parseApiKeys(text: string, problems: string[]): ApiKeyDigest[] {
  const out: ApiKeyDigest[] = [];
  for (const entry of list(text)) {
    if (entry.startsWith('sha256:')) {
      const hex = entry.slice(7);
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
        problems.push('ZITAUTH_M2M_API_KEYS: a "sha256:" entry must be followed by 64 hex digits');
        continue;
      }
      out.push({ sha256: Uint8Array.from(Buffer.from(hex, 'hex')) });
    } else {
      if (entry.length < 16) problems.push('ZITAUTH_M2M_API_KEYS: plain keys must be at least 16 characters');
      out.push({ sha256: Uint8Array.from(createHash('sha256').update(entry).digest()) });
    }
  }
  return out;
}

const isString = (v: string | undefined): v is string => typeof v === 'string';
const unique = (a: string[]) => [...new Set(a.filter(Boolean))];
