/**
 * `zitauth check-config [--probe]`: validate the configuration and, with --probe, ask the
 * identity provider what the gateway will use — its metadata (discovery, or the configured
 * endpoints) and its JWKS — so a wrong ZITADEL_DOMAIN, an issuer mismatch or an empty key set
 * shows before the first login fails.
 */
import { ConfigError, loadConfig, type Config } from '../config/index.ts';
import { createTimedFetch, IdpClient, type IdpMetadata } from '../idp/index.ts';
import { ZitAuthError } from '../errors.ts';
import { splitArgs, UsageError } from './args.ts';

export const CHECK_CONFIG_USAGE = `Usage: zitauth check-config [--probe]

Validates the configuration (the environment, then ./.env) and lists every problem at once.
Exit code 0 when it is valid, 1 when it is not, 2 for unknown options.

Options:
  --probe      Also ask the identity provider: load its metadata (discovery, or the configured
               endpoints) and its JWKS, and show the issuer, the endpoints and the signing keys
               (kid, alg). Exit code 1 when either cannot be loaded.
  -h, --help   Show this help`;

/** Where check-config writes; injectable so tests read what a user reads. */
export interface CheckConfigIo {
  out(line: string): void;
  err(line: string): void;
  /** For tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

const consoleIo: CheckConfigIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** IdP-supplied text shown in a terminal: no control characters (escape sequences), bounded. */
const shown = (v: unknown): string =>
  String(v)
    .replace(/[\x00-\x1f\x7f-\x9f]/g, '?')
    .slice(0, 300);

/** The key facts of one JWK, never its key material. */
const describeKey = (k: Record<string, unknown>) =>
  ['kid', 'alg', 'kty', 'use'].map((f) => `${f}=${k[f] === undefined ? '-' : shown(k[f])}`).join(' ');

/** Runs check-config; resolves to the exit code. */
export async function runCheckConfig(argv: string[], env: Record<string, string | undefined>, io: CheckConfigIo = consoleIo): Promise<number> {
  let probe = false;
  try {
    const { help, flags } = splitArgs(argv, ['--probe']);
    if (help) {
      io.out(CHECK_CONFIG_USAGE);
      return 0;
    }
    probe = flags.has('--probe');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`zitauth check-config: ${err.message}\n\n${CHECK_CONFIG_USAGE}`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }
  io.out(`Configuration OK (issuer ${config.issuer}, client ${config.clientId}).`);
  return probe ? probeIdp(config, io) : 0;
}

const failure = (err: unknown) =>
  err instanceof ZitAuthError ? `${err.message}${err.detail ? ` (${shown(err.detail)})` : ''}` : shown(err instanceof Error ? err.message : err);

/** Loads metadata and JWKS the way the gateway will; prints what it found. */
async function probeIdp(config: Config, io: CheckConfigIo): Promise<number> {
  io.out(`\nProbing the identity provider (timeout ${config.httpTimeoutMs} ms per request):`);
  const idp = new IdpClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    overrides: config.endpoints,
    timeoutMs: config.httpTimeoutMs,
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  // Ready before any call exactly when the required endpoints are all configured.
  const discovered = !idp.ready;
  let meta: IdpMetadata;
  const source = discovered ? `discovery ${config.issuer}/.well-known/openid-configuration` : 'configured endpoints (ZITADEL_*_ENDPOINT: no discovery needed)';
  try {
    meta = await idp.metadata();
  } catch (err) {
    io.err(`  metadata  FAILED from ${source}: ${failure(err)}`);
    io.err('Probe failed: the gateway cannot log users in or validate tokens with this configuration.');
    return 1;
  }
  io.out(`  metadata  OK from ${source}`);
  const rows: [string, string | undefined][] = [
    ['issuer', meta.issuer],
    ['authorization_endpoint', meta.authorization_endpoint],
    ['token_endpoint', meta.token_endpoint],
    ['userinfo_endpoint', meta.userinfo_endpoint],
    ['introspection_endpoint', meta.introspection_endpoint],
    ['end_session_endpoint', meta.end_session_endpoint],
    ['jwks_uri', meta.jwks_uri],
  ];
  for (const [k, v] of rows) io.out(`    ${k.padEnd(24)}${v === undefined ? '(none)' : shown(v)}`);

  const timed = createTimedFetch({ timeoutMs: config.httpTimeoutMs, ...(io.fetch ? { fetch: io.fetch } : {}) });
  let keys: Record<string, unknown>[];
  try {
    const res = await timed('jwks', meta.jwks_uri, { headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    const body = (await res.json().catch(() => null)) as { keys?: unknown } | null;
    if (!body || !Array.isArray(body.keys)) throw new Error('the answer is not a JWK set ({"keys": [...]})');
    keys = body.keys.filter((k): k is Record<string, unknown> => !!k && typeof k === 'object');
  } catch (err) {
    io.err(`  jwks      FAILED from ${shown(meta.jwks_uri)}: ${failure(err)}`);
    io.err('Probe failed: the gateway cannot verify access tokens with this configuration.');
    return 1;
  }
  const usable = keys.filter((k) => (k.use === undefined || k.use === 'sig') && (k.alg === undefined || config.algorithms.includes(String(k.alg))));
  io.out(`  jwks      OK: ${keys.length} key${keys.length === 1 ? '' : 's'}, ${usable.length} usable with ZITAUTH_ALLOWED_ALGS=${config.algorithms.join(',')}`);
  for (const k of keys) io.out(`    ${describeKey(k)}`);
  if (usable.length === 0) {
    io.err(`Probe failed: no signing key the gateway accepts (ZITAUTH_ALLOWED_ALGS=${config.algorithms.join(',')}).`);
    return 1;
  }
  io.out('Probe OK.');
  return 0;
}
