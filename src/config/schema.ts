import { Type as T, type Static, type TOptional, type TString } from '@sinclair/typebox';

/**
 * The environment ZitAuth reads, as one TypeBox schema: names, defaults and docs live here and
 * nowhere else. The original ZitAuth's variable names are kept verbatim so an existing `.env`
 * works unchanged; everything new is `ZITAUTH_*`. Values arrive as strings (environment), so the
 * schema describes strings and the sections in `sections/` turn them into the typed `Config`
 * (`types.ts`). Every default is stated here and only here.
 */
const Url = (description: string) => T.Optional(T.String({ description, format: 'uri' }));
/** A variable; with `def`, its default (the type records that it has one: see {@link DefaultedName}). */
function Str(description: string): TOptional<TString>;
function Str(description: string, def: string): TOptional<TString & { default: string }>;
function Str(description: string, def?: string): TOptional<TString> {
  return T.Optional(T.String(def === undefined ? { description } : { description, default: def }));
}

export const EnvSchema = T.Object({
  // --- the original ZitAuth's variables (drop-in) ---
  ZITADEL_DOMAIN: Str('Zitadel instance URL = OIDC issuer, e.g. https://my-instance.zitadel.cloud (required)'),
  ZITADEL_CLIENT_ID: Str('Client id of the User Agent (PKCE) application (required)'),
  ZITADEL_REDIRECT_URL: Str("The gateway's callback URL registered in Zitadel, e.g. http://localhost:8000/api/v1/callback (required)"),
  SPA_ORIGIN: Str('Origin of the web app the login returns to, e.g. http://localhost:3001 (required)'),
  SERVICE_ACCOUNT_FILE: Str('Path of the service-user JSON key file; without it /api/v1/m2m-token answers 503'),
  ZITADEL_AUTHORIZATION_ENDPOINT: Url('Override of the discovered authorization endpoint'),
  ZITADEL_TOKEN_ENDPOINT: Url('Override of the discovered token endpoint'),
  ZITADEL_JWKS_URI: Url('Override of the discovered JWKS URI'),
  ZITADEL_USERINFO_ENDPOINT: Url('Override of the discovered userinfo endpoint'),
  PORT: Str('Listen port', '8000'),

  // --- ZitAuth additions ---
  ZITAUTH_HOST: Str('Bind address', '0.0.0.0'),
  ZITAUTH_PROJECT_ID: Str('Zitadel project id: default audience, and the M2M audience scope'),
  ZITAUTH_AUDIENCE: Str('Comma list of accepted token audiences (client and/or project ids); default: project id, else client id + the service user id'),
  ZITAUTH_SCOPES: Str('Login scopes', 'openid email profile'),
  ZITAUTH_M2M_SCOPES: Str('Scopes of the M2M token (default: the project audience and roles scopes, else "profile"; "openid" is not needed)'),
  ZITAUTH_M2M_API_KEYS: Str('Comma list of API keys allowed to call /api/v1/m2m-token: sha256:<64 hex> (preferred) or plain'),
  ZITAUTH_M2M_API_KEYS_FILE: Str('File holding ZITAUTH_M2M_API_KEYS (one per line or comma separated)'),
  ZITAUTH_COOKIE_SECRET: Str('Secret (>= 32 chars) encrypting the login-state cookie and, in session mode, the stored sessions; replicas must share it'),
  ZITAUTH_COOKIE_SECRET_FILE: Str('File holding ZITAUTH_COOKIE_SECRET'),
  ZITAUTH_ALLOWED_ALGS: Str('Comma list of accepted JWS algorithms', 'RS256'),
  ZITAUTH_CLOCK_TOLERANCE_SEC: Str('Allowed clock skew for exp/nbf/iat, seconds', '5'),
  ZITAUTH_HTTP_TIMEOUT_MS: Str('Timeout of every call to Zitadel, milliseconds', '5000'),
  ZITAUTH_INTROSPECTION_KEY_FILE: Str('API application JSON key file: enables opaque-token introspection (private_key_jwt)'),
  ZITAUTH_INTROSPECTION_CLIENT_ID: Str('API application client id for introspection with Basic auth'),
  ZITAUTH_INTROSPECTION_CLIENT_SECRET: Str('API application client secret for introspection with Basic auth'),
  ZITAUTH_INTROSPECTION_CLIENT_SECRET_FILE: Str('File holding ZITAUTH_INTROSPECTION_CLIENT_SECRET'),
  ZITAUTH_INTROSPECTION_ENDPOINT: Url('Override of the discovered introspection endpoint'),
  ZITAUTH_END_SESSION_ENDPOINT: Url('Override of the discovered end-session endpoint'),
  ZITAUTH_CACHE_SIZE: Str('Max verified tokens kept by /validate', '10000'),
  ZITAUTH_JWKS_MIN_REFRESH_INTERVAL_MS: Str('Least time between two JWKS fetches (an unknown key id waits for the next one), milliseconds', '1000'),
  ZITAUTH_JWKS_MAX_AGE_SEC: Str('Age after which the JWKS is refreshed in the background, seconds', '300'),
  ZITAUTH_INTROSPECTION_CACHE_TTL_SEC: Str('Max seconds an introspection result is reused', '60'),
  ZITAUTH_CORS_ORIGINS: Str('Comma list of extra browser origins allowed to call /validate and /userinfo'),
  ZITAUTH_POST_LOGOUT_REDIRECT_URIS: Str('Comma list of URLs /logout may return to (default: SPA_ORIGIN/)'),
  ZITAUTH_RETURN_TO_ORIGINS: Str('Comma list of extra origins the login may return to (default: SPA_ORIGIN only)'),
  ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS: Str('Extra claim=Header pairs for forward-auth, e.g. "urn:zitadel:iam:user:resourceowner:id=X-Auth-Request-Org"'),
  ZITAUTH_SERVE_SPA: Str('Serve the example SPA (and its demo protected API) at / from the binary: true | false', 'false'),
  ZITAUTH_LOGIN_TTL_SEC: Str('Seconds a login may take before its state cookie expires', '600'),
  ZITAUTH_LOGIN_MODE: Str('fragment: tokens to the SPA in the URL fragment (the original); session: tokens stay in the gateway, the browser gets a session cookie (backend for frontend)', 'fragment'),
  ZITAUTH_SESSION_IDLE_SEC: Str('Session mode: a session unused this long ends (sliding on use)', '1800'),
  ZITAUTH_SESSION_MAX_SEC: Str('Session mode: absolute session lifetime, however active', '43200'),
  ZITAUTH_SESSION_MAX_COUNT: Str('Session mode, memory store: most sessions kept; beyond it the least recently used ends', '100000'),
  ZITAUTH_SESSION_REFRESH_SKEW_SEC: Str('Session mode: refresh the access token this long before it expires', '60'),
  ZITAUTH_UPSTREAMS: Str('Session mode: name=URL allow-list the API proxy /api/v1/proxy/{name}/… forwards to, e.g. "orders=http://orders:8080,billing=https://billing.internal"'),
  ZITAUTH_UPSTREAM_TIMEOUT_MS: Str('Session mode: time an upstream may take to answer with its headers, milliseconds', '30000'),
  ZITAUTH_FORWARD_ACCESS_TOKEN: Str('Session mode: forward-auth answers also carry the session access token (Authorization and X-Auth-Request-Access-Token) for the upstream: true | false', 'false'),
  ZITAUTH_SESSION_STORE: Str('Where sessions, single-use login states, locks and the M2M token live: memory (this process) | redis (Redis/Valkey, shared by every replica)', 'memory'),
  ZITAUTH_REDIS_URL: Str('Redis store: redis://[user:password@]host[:port][/db] or rediss:// (TLS); a secret when it holds a password'),
  ZITAUTH_REDIS_URL_FILE: Str('File holding ZITAUTH_REDIS_URL'),
  ZITAUTH_REDIS_PREFIX: Str('Redis store: prefix of every key (letters, digits, ":_.-")', 'zitauth:'),
  ZITAUTH_REDIS_TIMEOUT_MS: Str('Redis store: timeout of every Redis call (and of connecting), milliseconds', '1000'),
  ZITAUTH_LOG_LEVEL: Str('debug | info | warn | error | silent', 'info'),
  ZITAUTH_ACCESS_LOG: Str('Access log of /validate and /forward-auth: all | errors (status >= 400 only) | off; other routes always log', 'all'),
});
export type Env = Static<typeof EnvSchema>;
export type EnvName = keyof Env;

/** The names the schema marks with a default: after `withDefaults` (read.ts) they always hold a string. */
export type DefaultedName = {
  [K in EnvName]: (typeof EnvSchema.properties)[K] extends { default: string } ? K : never;
}[EnvName];

