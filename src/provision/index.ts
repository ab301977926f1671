/**
 * `zitauth provision` — sets up Zitadel for ZitAuth and writes the gateway's configuration.
 *
 * With an admin personal access token it finds-or-creates, through the management API v1:
 * the project (role assertion on, roles), the user-agent PKCE app (JWT access tokens), the API
 * app (private_key_jwt, for introspection) with a key, the service user (JWT access tokens) with
 * a key, and the organization's privacy-policy links. It then writes `service-account.json`,
 * `introspection-key.json` and `.env` (all mode 0600). Re-running reuses everything it finds,
 * keeps the existing cookie secret and M2M keys, and creates no key when the key file is present.
 * Keys it creates expire after a year unless --key-expiration says otherwise (Zitadel's default
 * would be never); the output names the expiry and any other keys still valid for the same owner.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ZitAuthError, InvalidRequest } from '../errors.ts';
import { ManagementClient } from './client.ts';
import { type ProvisionOptions, PROVISION_USAGE, parseProvisionArgs } from './options.ts';
import { newCookieSecret, newM2mApiKey, parseDotenv, readKeyFile, renderDotenv, writeSecretFile } from './output.ts';
import {
  createAppKey,
  createMachineKey,
  ensureApiApp,
  ensureMachineUser,
  ensurePrivacyPolicy,
  ensureProject,
  ensureUserAgentApp,
  listAppKeys,
  listMachineKeys,
  type KeyInfo,
} from './steps.ts';

export { PROVISION_USAGE } from './options.ts';

export interface ProvisionIo {
  fetch?: typeof fetch;
  log?: (s: string) => void;
}

/** File names inside the output directory. */
export const SERVICE_ACCOUNT_FILE_NAME = 'service-account.json';
export const INTROSPECTION_KEY_FILE_NAME = 'introspection-key.json';

/**
 * Runs the provisioning.
 *
 * @param argv arguments after the `provision` subcommand (a leading "provision" is tolerated)
 * @param env  environment (ZITADEL_DOMAIN, ZITADEL_PAT_FILE, ZITADEL_REDIRECT_URL, SPA_ORIGIN)
 * @param io   injectable fetch and log sink
 * @returns exit code: 0 done, 1 Zitadel/file failure, 2 usage error
 */
export async function runProvision(
  argv: string[],
  env: Record<string, string | undefined>,
  io: ProvisionIo = {},
): Promise<number> {
  const log = io.log ?? ((s: string) => console.log(s));
  let opts: ProvisionOptions | 'help';
  try {
    opts = parseProvisionArgs(argv, env);
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    log('Run `zitauth provision --help` for the options.');
    return 2;
  }
  if (opts === 'help') {
    log(PROVISION_USAGE);
    return 0;
  }
  try {
    await provision(opts, io.fetch, log);
    return 0;
  } catch (err) {
    if (err instanceof ZitAuthError) {
      log(`provision failed [${err.code}]: ${err.message}`);
    } else {
      // Unknown errors (fs, etc.): their message names paths, never secrets we hold.
      log(`provision failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    return 1;
  }
}

async function provision(o: ProvisionOptions, fetchImpl: typeof fetch | undefined, log: (s: string) => void): Promise<void> {
  const pat = await readPat(o.patFile);
  const c = new ManagementClient({
    baseUrl: o.zitadelUrl,
    pat,
    timeoutMs: o.timeoutMs,
    ...(o.orgId ? { orgId: o.orgId } : {}),
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  log(`Provisioning ZitAuth in ${o.zitadelUrl}`);

  const project = await ensureProject(c, { name: o.projectName, roles: o.roles });
  log(`  project "${o.projectName}": ${project.outcome} (${project.id})${project.rolesAdded.length ? `, roles added: ${project.rolesAdded.join(', ')}` : ''}`);

  const spa = await ensureUserAgentApp(c, project.id, {
    name: o.appName,
    redirectUris: [o.redirectUrl],
    postLogoutRedirectUris: o.postLogoutUris,
    devMode: o.devMode,
    backChannelLogoutUri: o.backChannelLogoutUri,
    backChannelLogoutDefault: o.backChannelLogoutDefault,
  });
  log(`  user-agent app "${o.appName}": ${spa.outcome} (client id ${spa.clientId})`);
  const backChannel = o.backChannelLogoutUri ?? o.backChannelLogoutDefault;
  if (backChannel) {
    // v4.11+: always on; v2.65–v4.10: only with the instance feature (docs/deployment.md, with the sources).
    log(`  back-channel logout URI: ${o.backChannelLogoutUri ? backChannel : `${backChannel} (unless the app had one)`} (Zitadel v4.11+ sends logout tokens there; v2.65–v4.10 only with the instance feature enable_back_channel_logout)`);
  }

  const api = await ensureApiApp(c, project.id, o.apiAppName);
  log(`  API app "${o.apiAppName}": ${api.outcome} (client id ${api.clientId})`);

  const introspectionPath = join(o.outDir, INTROSPECTION_KEY_FILE_NAME);
  await ensureKeyFile(introspectionPath, { label: 'API app key', owner: 'application', field: 'appId', id: api.appId, log, o }, {
    list: () => listAppKeys(c, project.id, api.appId),
    create: () => createAppKey(c, project.id, api.appId, o.keyExpiration),
  });

  const user = await ensureMachineUser(c, o.serviceUser, 'ZitAuth M2M');
  log(`  service user "${o.serviceUser}": ${user.outcome} (${user.userId})`);

  const serviceAccountPath = join(o.outDir, SERVICE_ACCOUNT_FILE_NAME);
  await ensureKeyFile(serviceAccountPath, { label: 'service user key', owner: 'user', field: 'userId', id: user.userId, log, o }, {
    list: () => listMachineKeys(c, user.userId),
    create: () => createMachineKey(c, user.userId, o.keyExpiration),
  });

  if (Object.keys(o.privacy).length > 0) {
    log(`  privacy policy links: ${await ensurePrivacyPolicy(c, o.privacy)}`);
  } else {
    log('  privacy policy links: skipped (no --tos-link/--privacy-link given)');
  }

  // The .env: managed keys are (re)written, anything the operator added is kept, and the
  // secrets survive re-runs — replicas and existing M2M clients must keep working.
  let previous = new Map<string, string>();
  try {
    previous = parseDotenv(await readFile(o.envFile, 'utf8'));
  } catch {
    // first run
  }
  const cookieSecret = previous.get('ZITAUTH_COOKIE_SECRET') ?? newCookieSecret();
  let apiKeys = previous.get('ZITAUTH_M2M_API_KEYS');
  let rawKey: string | undefined;
  if (!apiKeys) {
    const k = newM2mApiKey();
    apiKeys = k.stored;
    rawKey = k.raw;
  }
  const managed: [string, string][] = [
    ['ZITADEL_DOMAIN', o.zitadelUrl],
    ['ZITADEL_CLIENT_ID', spa.clientId],
    ['ZITADEL_REDIRECT_URL', o.redirectUrl],
    ['SPA_ORIGIN', o.spaOrigin],
    ['SERVICE_ACCOUNT_FILE', serviceAccountPath],
    ['ZITAUTH_PROJECT_ID', project.id],
    ['ZITAUTH_AUDIENCE', `${spa.clientId},${project.id}`],
    ['ZITAUTH_INTROSPECTION_KEY_FILE', introspectionPath],
    ['ZITAUTH_POST_LOGOUT_REDIRECT_URIS', o.postLogoutUris.join(',')],
    ['ZITAUTH_COOKIE_SECRET', cookieSecret],
    ['ZITAUTH_M2M_API_KEYS', apiKeys],
  ];
  const managedNames = new Set(managed.map(([k]) => k));
  const kept = [...previous].filter(([k]) => !managedNames.has(k));
  await writeSecretFile(
    o.envFile,
    renderDotenv(
      [
        'Written by `zitauth provision`; re-running it keeps the secrets below and any line you add.',
        'Contains secrets (cookie secret): keep this file private (mode 0600).',
      ],
      [...managed, ...kept],
    ),
  );
  log(`  wrote ${o.envFile}`);
  if (rawKey) {
    log('');
    log('M2M API key (shown only now; the .env stores only its sha256):');
    log(`  ${rawKey}`);
    log('Machine clients send it as "Authorization: Bearer <key>" to /api/v1/m2m-token.');
  } else {
    log('  M2M API keys: kept the existing ZITAUTH_M2M_API_KEYS');
  }
}

async function readPat(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new InvalidRequest(`cannot read the personal access token file ${path} (${code}).`);
  }
  const pat = text.trim();
  if (pat === '' || /\s/.test(pat)) throw new InvalidRequest(`the personal access token file ${path} must hold exactly one token.`);
  return pat;
}

/**
 * Keeps a key file that already belongs to `id` (Zitadel shows a key's private part only once,
 * so a re-run must not mint a new one), refuses to overwrite one of another owner, and otherwise
 * writes a freshly created key with mode 0600 — saying when it expires and how many earlier keys
 * of the same owner are still valid (a key file that was lost leaves its key valid in Zitadel;
 * deleting keys is left to the operator, as another host may still use one).
 */
async function ensureKeyFile(
  path: string,
  o: { label: string; owner: string; field: string; id: string; log: (s: string) => void; o: ProvisionOptions },
  keys: { list: () => Promise<KeyInfo[]>; create: () => Promise<string> },
): Promise<void> {
  const existing = await readKeyFile(path);
  if (existing && existing[o.field] === o.id) {
    o.log(`  ${o.label}: kept ${path}`);
    return;
  }
  if (existing) throw new InvalidRequest(`${path} holds a key of another ${o.owner}; move it away to create a new one.`);
  const now = Date.now();
  const stillValid = (await keys.list()).filter((k) => k.expirationDate === undefined || Date.parse(k.expirationDate) > now);
  await writeSecretFile(path, await keys.create());
  const until = o.o.keyExpiration.slice(0, 10);
  o.log(`  ${o.label}: created ${path}, valid until ${until}${o.o.keyExpirationDefaulted ? ' (default one year; --key-expiration to choose)' : ''}`);
  if (stillValid.length > 0) {
    o.log(`  ${o.label}: ${stillValid.length} earlier key(s) of this ${o.owner} are still valid in Zitadel (ids ${stillValid.map((k) => k.id).join(', ')}); delete the ones no host uses any more (console → key list).`);
  }
}
