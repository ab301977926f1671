import type { Config } from './config/index.ts';
import { IdpClient, type IntrospectionAuth } from './idp/index.ts';
import { JwksCache } from './tokens/jwks.ts';
import { createJwtVerifier } from './tokens/verifier.ts';
import { TokenValidator } from './tokens/validator.ts';
import { TokenBroker } from './m2m/broker.ts';
import { loadApplicationKey, loadServiceUserKey, type ServiceUserKey } from './m2m/keyfile.ts';
import { signAssertion } from './m2m/assertion.ts';
import { ApiKeyGate } from './m2m/api-keys.ts';
import { StateCookies } from './login/state-cookie.ts';
import { UsedStates } from './login/used-states.ts';
import { LoginService } from './login/service.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import type { Claims } from './tokens/introspection.ts';
import type { JwtShaped, OpaqueShaped } from './tokens/format.ts';
import { ZitAuthError } from './errors.ts';

/** Injectable I/O (style habit 4): tests pass their own fetch, clock and log sink. */
export interface ServiceIo {
  fetch?: typeof fetch;
  now?: () => number;
  logSink?: (line: string) => void;
}

/**
 * The validator needs the JWKS URI, which may come from discovery; the gateway must still start
 * while Zitadel is down. This holder builds the validator on first use (and retries through the
 * IdP client's own discovery back-off) and then stays out of the hot path.
 */
export class ValidatorHolder {
  current: TokenValidator | undefined;
  jwks: JwksCache | undefined;
  private building: Promise<TokenValidator> | undefined;

  constructor(private readonly build: () => Promise<{ validator: TokenValidator; jwks: JwksCache }>) {}

  /** Synchronous cache peek; undefined until built or on a miss. */
  cached(token: string): Claims | undefined {
    return this.current?.cached(token);
  }

  validate(token: string): Promise<Claims> {
    if (this.current) return this.current.validate(token);
    return this.get().then((v) => v.validate(token));
  }

  validateJwt(token: JwtShaped): Claims | Promise<Claims> {
    if (this.current) return this.current.validateJwt(token);
    return this.get().then((v) => v.validateJwt(token));
  }

  validateOpaque(token: OpaqueShaped): Promise<Claims> {
    if (this.current) return this.current.validateOpaque(token);
    return this.get().then((v) => v.validateOpaque(token));
  }

  get(): Promise<TokenValidator> {
    if (this.current) return Promise.resolve(this.current);
    this.building ??= this.build()
      .then(({ validator, jwks }) => {
        this.jwks = jwks;
        return (this.current = validator);
      })
      .finally(() => (this.building = undefined));
    return this.building;
  }
}

export interface Services {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  idp: IdpClient;
  validator: ValidatorHolder;
  login: LoginService;
  gate: ApiKeyGate;
  m2m: TokenBroker | undefined;
  m2mUnavailableReason: string;
}

/** Wires every module from the validated config. Reads key files; never throws for a missing one. */
export async function createServices(config: Config, io: ServiceIo = {}): Promise<Services> {
  const logger = createLogger(config.logLevel, io.logSink);
  const metrics = new Metrics();
  const now = io.now ?? Date.now;
  const idp = new IdpClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    overrides: config.endpoints,
    timeoutMs: config.httpTimeoutMs,
    fetch: io.fetch,
    now,
    observe: (endpoint, ms, ok) => metrics.recordIdpCall(endpoint, ms / 1000, ok),
  });

  const introspect = await introspectionFor(config, idp, logger);
  const { broker, reason, serviceUserId } = await m2mBroker(config, idp, logger, now);
  const audience = defaultAudience(config, serviceUserId, logger);
  const validator = new ValidatorHolder(async () => {
    const meta = await idp.metadata();
    const jwks = new JwksCache({
      jwksUri: meta.jwks_uri,
      fetch: io.fetch,
      timeoutMs: config.httpTimeoutMs,
      onRefresh: (ok, ms) => {
        metrics.jwksRefreshes.inc({ outcome: ok ? 'ok' : 'error' });
        metrics.recordIdpCall('jwks', ms / 1000, ok);
      },
    });
    const verifier = createJwtVerifier({
      issuer: meta.issuer,
      audience,
      algorithms: config.algorithms,
      clockToleranceSec: config.clockToleranceSec,
      jwks,
      now,
    });
    const v = new TokenValidator({
      verifier,
      introspect,
      cacheSize: config.cacheSize,
      introspectionTtlSec: config.introspectionCacheTtlSec,
      now,
    });
    return { validator: v, jwks };
  });
  metrics.gauge('zitauth_validate_cache_hits_total', 'Validation cache hits.', 'counter', () => validator.current?.stats.cache.hits ?? 0);
  metrics.gauge('zitauth_validate_cache_misses_total', 'Validation cache misses.', 'counter', () => validator.current?.stats.cache.misses ?? 0);
  metrics.gauge('zitauth_validate_cache_not_admitted_total', 'Verified tokens not cached: the cache was full and the token was new (stored when seen again).', 'counter', () => validator.current?.stats.cache.notAdmitted ?? 0);
  metrics.gauge('zitauth_validate_cache_entries', 'Tokens in the validation cache.', 'gauge', () => validator.current?.stats.cache.size ?? 0);
  metrics.gauge('zitauth_validate_negative_cache_hits_total', 'Rejected tokens answered from the negative cache.', 'counter', () => validator.current?.stats.negative.hits ?? 0);

  const cookies = new StateCookies(config.cookieSecret, {
    ttlSec: config.loginTtlSec,
    secure: config.redirectUri.startsWith('https:'),
    path: new URL(config.redirectUri).pathname,
    now: io.now,
  });
  const login = new LoginService(idp, cookies, new UsedStates({ ttlMs: config.loginTtlSec * 1000, max: 100_000, now: io.now }), {
    scopes: config.loginScopes,
    spaOrigin: config.spaOrigin,
    returnToOrigins: config.returnToOrigins,
    postLogoutRedirectUris: config.postLogoutRedirectUris,
  });
  if (config.cookieSecretGenerated) {
    logger.warn('ZITAUTH_COOKIE_SECRET is not set: using a random per-process secret. Logins in progress fail after a restart, and replicas cannot share logins.');
  }
  return {
    config,
    logger,
    metrics,
    idp,
    validator,
    login,
    gate: new ApiKeyGate(config.m2mApiKeys),
    m2m: broker,
    m2mUnavailableReason: reason,
  };
}

async function introspectionFor(config: Config, idp: IdpClient, logger: Logger) {
  const c = config.introspection;
  if (!c) return undefined;
  let auth: IntrospectionAuth;
  if (c.kind === 'basic') auth = { kind: 'basic', clientId: c.clientId, clientSecret: c.clientSecret };
  else {
    try {
      const key = await loadApplicationKey(c.keyFile);
      auth = { kind: 'private_key_jwt', clientId: key.clientId, keyId: key.keyId, privateKey: key.privateKey };
    } catch (err) {
      logger.error('introspection disabled: the API application key file is unusable', {
        code: err instanceof ZitAuthError ? err.code : 'SERVER_ERROR',
        detail: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }
  return (token: string) => idp.introspect(token, auth);
}

async function m2mBroker(config: Config, idp: IdpClient, logger: Logger, now: () => number) {
  if (!config.serviceAccountFile) {
    return { broker: undefined, serviceUserId: undefined, reason: 'M2M tokens are not configured: set SERVICE_ACCOUNT_FILE to a Zitadel service-user key file.' };
  }
  let key: ServiceUserKey;
  try {
    key = await loadServiceUserKey(config.serviceAccountFile);
  } catch (err) {
    logger.error('M2M disabled: the service-user key file is unusable', {
      detail: err instanceof Error ? err.message : String(err),
    });
    return { broker: undefined, serviceUserId: undefined, reason: 'M2M tokens are unavailable: the service-user key file (SERVICE_ACCOUNT_FILE) is missing or invalid.' };
  }
  const broker = new TokenBroker({
    now,
    fetchToken: async () => {
      const meta = await idp.metadata();
      const assertion = await signAssertion({ privateKey: key.privateKey, keyId: key.keyId, subject: key.userId, audience: meta.issuer, now });
      const t = await idp.jwtBearerGrant({ assertion, scope: config.m2mScopes, subject: key.userId });
      // oauth4webapi lowercases token_type; clients of the original expect Zitadel's "Bearer".
      const tokenType = t.token_type.toLowerCase() === 'bearer' ? 'Bearer' : t.token_type;
      return { access_token: t.access_token, token_type: tokenType, expires_in: t.expires_in ?? 300 };
    },
  });
  return { broker, serviceUserId: key.userId, reason: '' };
}

/**
 * The audiences /validate accepts. With neither ZITAUTH_AUDIENCE nor ZITAUTH_PROJECT_ID (an
 * original ZitAuth .env), Zitadel gives user tokens `aud` ⊇ [client id] but service-user tokens
 * minted without the project scope only `aud = [userId]`; accepting our own service user's id
 * keeps the original's M2M → protected API flow working while still refusing foreign tokens.
 */
function defaultAudience(config: Config, serviceUserId: string | undefined, logger: Logger): string[] {
  if (!config.audienceDefaulted || config.projectId) return config.audience;
  logger.warn('ZITAUTH_PROJECT_ID is not set: accepting tokens for the client id and the configured service user only. Set ZITAUTH_PROJECT_ID (or ZITAUTH_AUDIENCE) to pin the audience to your project.');
  return serviceUserId ? [...config.audience, serviceUserId] : config.audience;
}
