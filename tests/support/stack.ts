/**
 * Starts the real pieces for integration tests: the Zitadel-shaped dev IdP and the gateway,
 * both on loopback ephemeral ports, wired exactly as a user would wire them (environment
 * variables through the real config loader). Logs are captured in memory so tests can assert
 * that no secret ever reaches them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevIdp, type DevIdp, type DevIdpOptions } from '../../src/devidp/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createServices, type ServiceIo, type Services } from '../../src/services.ts';
import { createApp, listenApp } from '../../src/app.ts';

export const SPA_ORIGIN = 'http://127.0.0.1:3999';

/**
 * How the gateway learns Zitadel's endpoints. `explicit`: the original ZitAuth's `.env`, which sets
 * all four endpoint URLs (authorization, token, JWKS, userinfo); `discovery`: only the issuer.
 * Every integration flow runs in both (see {@link CONFIG_MODES}).
 */
export type ConfigMode = 'explicit' | 'discovery';
export const CONFIG_MODES: readonly ConfigMode[] = ['explicit', 'discovery'];

/** The four endpoint variables of the original ZitAuth's `.env`, pointing at `issuer`'s Zitadel paths. */
export function explicitEndpoints(issuer: string): Record<string, string> {
  return {
    ZITADEL_AUTHORIZATION_ENDPOINT: `${issuer}/oauth/v2/authorize`,
    ZITADEL_TOKEN_ENDPOINT: `${issuer}/oauth/v2/token`,
    ZITADEL_JWKS_URI: `${issuer}/oauth/v2/keys`,
    ZITADEL_USERINFO_ENDPOINT: `${issuer}/oidc/v1/userinfo`,
  };
}

/** A free loopback port (bound then released; fine for tests on one machine). */
export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

export interface Stack {
  idp: DevIdp;
  /** How the gateway was told about the IdP's endpoints (default `discovery`). */
  mode: ConfigMode;
  url: string;
  services: Services;
  app: ReturnType<typeof createApp>;
  env: Record<string, string>;
  logs: string[];
  dir: string;
  /** Starts another gateway (e.g. a second replica, or different settings) against the same IdP. */
  gateway(env?: Record<string, string | undefined>, io?: ServiceIo): Promise<{ url: string; services: Services; app: ReturnType<typeof createApp>; stop(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startStack(
  opts: { env?: Record<string, string | undefined>; idp?: Partial<DevIdpOptions>; port?: number; mode?: ConfigMode; io?: ServiceIo } = {},
): Promise<Stack> {
  const port = opts.port ?? freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'zitauth-test-'));
  const idp = await startDevIdp({
    redirectUris: [`${url}/api/v1/callback`],
    postLogoutRedirectUris: [`${SPA_ORIGIN}/`],
    ...opts.idp,
  });
  const keyFile = join(dir, 'service-user.json');
  writeFileSync(keyFile, JSON.stringify(idp.serviceUserKey), { mode: 0o600 });
  const introKeyFile = join(dir, 'api-app.json');
  writeFileSync(introKeyFile, JSON.stringify(idp.apiApp.key), { mode: 0o600 });

  const env: Record<string, string> = {
    ZITADEL_DOMAIN: idp.issuer,
    ZITADEL_CLIENT_ID: idp.clientId,
    ZITADEL_REDIRECT_URL: `${url}/api/v1/callback`,
    SPA_ORIGIN,
    SERVICE_ACCOUNT_FILE: keyFile,
    PORT: String(port),
    ZITAUTH_HOST: '127.0.0.1',
    ZITAUTH_PROJECT_ID: idp.projectId,
    ZITAUTH_COOKIE_SECRET: 'test-cookie-secret-0123456789-abcdefghij',
    ZITAUTH_HTTP_TIMEOUT_MS: '1500',
    ZITAUTH_LOG_LEVEL: 'debug',
    ...(opts.mode === 'explicit' ? explicitEndpoints(idp.issuer) : {}),
  };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v.replaceAll('{introKeyFile}', introKeyFile).replaceAll('{dir}', dir);
  }
  const logs: string[] = [];
  const stops: (() => Promise<void>)[] = [];

  const gateway = async (extra: Record<string, string | undefined> = {}, p?: number, io: ServiceIo = {}) => {
    const e: Record<string, string | undefined> = { ...env, PORT: String(p ?? freePort()), ...extra };
    const services = await createServices(loadConfig(e), { logSink: (l) => logs.push(l), ...io });
    const app = listenApp(createApp(services), { port: Number(e.PORT), hostname: '127.0.0.1' });
    let stopped = false;
    // Idempotent: a test may stop a replica itself and close() stops it again.
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await app.stop(true);
    };
    stops.push(stop);
    return { url: `http://127.0.0.1:${app.server!.port}`, services, app, stop };
  };
  const main = await gateway({}, port, opts.io);
  return {
    idp,
    mode: opts.mode ?? 'discovery',
    url,
    services: main.services,
    app: main.app,
    env,
    logs,
    dir,
    gateway: (e, io) => gateway(e, undefined, io),
    close: async () => {
      for (const s of stops) await s();
      await idp.close();
    },
  };
}
