/**
 * Command-line options of `zitauth provision` (flags win over environment variables).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { InvalidRequest } from '../errors.ts';

export interface ProvisionOptions {
  zitadelUrl: string;
  patFile: string;
  outDir: string;
  envFile: string;
  redirectUrl: string;
  spaOrigin: string;
  postLogoutUris: string[];
  projectName: string;
  roles: { key: string; displayName: string }[];
  appName: string;
  apiAppName: string;
  serviceUser: string;
  devMode: boolean;
  privacy: { tosLink?: string; privacyLink?: string; helpLink?: string; supportEmail?: string };
  /** Expiry of keys created by this run (RFC 3339, UTC). */
  keyExpiration: string;
  /** Whether `keyExpiration` is the default ({@link DEFAULT_KEY_LIFETIME_DAYS}) rather than --key-expiration. */
  keyExpirationDefaulted: boolean;
  /** The app's back-channel logout URI to register, if asked for. */
  backChannelLogoutUri?: string;
  /** Registered when the app has none (default `<gateway>/api/v1/backchannel-logout`; --no-backchannel-logout: none). */
  backChannelLogoutDefault?: string;
  orgId?: string;
  timeoutMs: number;
}

/**
 * Lifetime of keys created without --key-expiration. Zitadel's own default is "never" (9999-12-31, `internal/domain/expiration.go`),
 * and every run that finds no key file adds another key, so a lost file would leave a valid key
 * behind forever; a year bounds that, and the output says when each new key expires.
 */
export const DEFAULT_KEY_LIFETIME_DAYS = 365;

export const PROVISION_USAGE = `Usage: zitauth provision [options]

Creates (or finds) everything ZitAuth needs in Zitadel through the management API v1 and
writes the key files plus a ready .env. Safe to re-run.

Required:
  --zitadel <url>          Zitadel instance URL            (env ZITADEL_DOMAIN)
  --pat-file <path>        admin personal access token file (env ZITADEL_PAT_FILE)
Output:
  --out-dir <dir>          where key files and .env go (default: current directory)
  --env-file <path>        .env path (default: <out-dir>/.env)
Gateway:
  --redirect-url <url>     callback (env ZITADEL_REDIRECT_URL, default http://localhost:8000/api/v1/callback)
  --spa-origin <url>       SPA origin (env SPA_ORIGIN, default http://localhost:3001)
  --post-logout-uri <url>  repeatable (default <spa-origin>/)
  --dev-mode | --no-dev-mode  Zitadel dev mode (default: on when a redirect URI is plain http)
Names:
  --project <name>         default "ZitAuth"       --roles <k1,k2>   default "admin,user"
  --app-name <name>        default "ZitAuth SPA"   --api-app-name <name> default "ZitAuth API"
  --service-user <name>    default "zitauth-m2m"
Login "External links" (privacy policy): --tos-link --privacy-link --help-link --support-email
Back-channel logout (Zitadel ends the gateway's sessions when a user logs out there):
  by default <gateway>/api/v1/backchannel-logout is registered on an app that has none
  (gateway = origin of --redirect-url)
  --backchannel-logout     register it even over a URI the app already has
  --backchannel-logout-uri <url>  register this URL instead
  --no-backchannel-logout  register none
Keys:
  --key-expiration <RFC3339>  expiry of keys created now (default: one year from now)
Other: --org-id <id>  --timeout-ms <n> (default 10000)  --help
`;

/** Parses argv (the arguments after `provision`); throws InvalidRequest on bad input. */
export function parseProvisionArgs(
  argv: string[],
  env: Record<string, string | undefined>,
): ProvisionOptions | 'help' {
  const args = argv[0] === 'provision' ? argv.slice(1) : argv;
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        zitadel: { type: 'string' },
        'pat-file': { type: 'string' },
        'out-dir': { type: 'string' },
        'env-file': { type: 'string' },
        'redirect-url': { type: 'string' },
        'spa-origin': { type: 'string' },
        'post-logout-uri': { type: 'string', multiple: true },
        'dev-mode': { type: 'boolean' },
        'no-dev-mode': { type: 'boolean' },
        project: { type: 'string' },
        roles: { type: 'string' },
        'app-name': { type: 'string' },
        'api-app-name': { type: 'string' },
        'service-user': { type: 'string' },
        'tos-link': { type: 'string' },
        'privacy-link': { type: 'string' },
        'help-link': { type: 'string' },
        'support-email': { type: 'string' },
        'key-expiration': { type: 'string' },
        'backchannel-logout': { type: 'boolean' },
        'no-backchannel-logout': { type: 'boolean' },
        'backchannel-logout-uri': { type: 'string' },
        'org-id': { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new InvalidRequest(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return 'help';

  const s = (k: string): string | undefined => {
    const v = values[k];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const e = (k: string): string | undefined => (env[k]?.trim() ? env[k]?.trim() : undefined);

  const problems: string[] = [];
  const zitadelUrl = s('zitadel') ?? e('ZITADEL_DOMAIN');
  const patFile = s('pat-file') ?? e('ZITADEL_PAT_FILE');
  if (!zitadelUrl) problems.push('the Zitadel URL is missing (--zitadel or ZITADEL_DOMAIN)');
  if (!patFile) problems.push('the personal access token file is missing (--pat-file or ZITADEL_PAT_FILE)');

  const redirectUrl = s('redirect-url') ?? e('ZITADEL_REDIRECT_URL') ?? 'http://localhost:8000/api/v1/callback';
  const spaOrigin = (s('spa-origin') ?? e('SPA_ORIGIN') ?? 'http://localhost:3001').replace(/\/+$/, '');
  const postLogout = (values['post-logout-uri'] as string[] | undefined)?.filter((u) => u.trim() !== '') ?? [];
  const postLogoutUris = postLogout.length > 0 ? postLogout : [`${spaOrigin}/`];
  for (const [what, u] of [['--zitadel', zitadelUrl], ['--redirect-url', redirectUrl], ['--spa-origin', spaOrigin], ...postLogoutUris.map((p) => ['--post-logout-uri', p])] as [string, string | undefined][]) {
    if (u !== undefined && !isHttpUrl(u)) problems.push(`${what} must be an http(s) URL`);
  }

  const timeoutRaw = s('timeout-ms') ?? '10000';
  const timeoutMs = Number(timeoutRaw);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000) problems.push('--timeout-ms must be an integer between 100 and 120000');

  const keyExpiration = s('key-expiration');
  if (keyExpiration !== undefined && Number.isNaN(Date.parse(keyExpiration))) problems.push('--key-expiration must be an RFC 3339 timestamp');
  else if (keyExpiration !== undefined && Date.parse(keyExpiration) <= Date.now()) problems.push('--key-expiration must be in the future');

  const backChannelUri = s('backchannel-logout-uri');
  if (backChannelUri !== undefined && !isHttpUrl(backChannelUri)) problems.push('--backchannel-logout-uri must be an http(s) URL');

  const roleKeys = (s('roles') ?? 'admin,user').split(',').map((r) => r.trim()).filter(Boolean);
  if (roleKeys.length === 0) problems.push('--roles must name at least one role');

  if (problems.length > 0 || !zitadelUrl || !patFile) throw new InvalidRequest(`zitauth provision: ${problems.join('; ')}.`);

  const anyPlainHttp = [redirectUrl, ...postLogoutUris].some((u) => u.startsWith('http://'));
  const devMode = values['no-dev-mode'] === true ? false : values['dev-mode'] === true ? true : anyPlainHttp;
  const outDir = resolve(s('out-dir') ?? '.');
  const privacy: ProvisionOptions['privacy'] = {};
  if (s('tos-link')) privacy.tosLink = s('tos-link');
  if (s('privacy-link')) privacy.privacyLink = s('privacy-link');
  if (s('help-link')) privacy.helpLink = s('help-link');
  if (s('support-email')) privacy.supportEmail = s('support-email');

  const gatewayBackChannelUri = `${new URL(redirectUrl).origin}/api/v1/backchannel-logout`;
  return {
    zitadelUrl: zitadelUrl.replace(/\/+$/, ''),
    patFile,
    outDir,
    envFile: resolve(outDir, s('env-file') ?? '.env'),
    redirectUrl,
    spaOrigin,
    postLogoutUris,
    projectName: s('project') ?? 'ZitAuth',
    roles: roleKeys.map((key) => ({ key, displayName: key.charAt(0).toUpperCase() + key.slice(1) })),
    appName: s('app-name') ?? 'ZitAuth SPA',
    apiAppName: s('api-app-name') ?? 'ZitAuth API',
    serviceUser: s('service-user') ?? 'zitauth-m2m',
    devMode,
    privacy,
    keyExpiration: new Date(keyExpiration ?? Date.now() + DEFAULT_KEY_LIFETIME_DAYS * 86_400_000).toISOString(),
    keyExpirationDefaulted: keyExpiration === undefined,
    ...(backChannelUri
      ? { backChannelLogoutUri: backChannelUri }
      : values['backchannel-logout'] === true
        ? { backChannelLogoutUri: gatewayBackChannelUri }
        : values['no-backchannel-logout'] === true
          ? {}
          : { backChannelLogoutDefault: gatewayBackChannelUri }),
    ...(s('org-id') ? { orgId: s('org-id') } : {}),
    timeoutMs,
  };
}

function isHttpUrl(u: string): boolean {
  try {
    const p = new URL(u).protocol;
    return p === 'http:' || p === 'https:';
  } catch {
    return false;
  }
}
