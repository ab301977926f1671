/**
 * The `zitauth dev` stack, wired through the same configuration loader a real deployment uses:
 * - the development IdP;
 * - the gateway in **session mode** (the recommended setup), serving the SPA at its own origin;
 *   the page's "Call Protected Endpoint" goes through the API proxy `/api/v1/proxy/demo/…` to the
 *   demo API, which this same gateway serves at `/api/…` (ZITAUTH_UPSTREAMS=demo=<itself>/api);
 * - the standalone SPA on its own origin in **fragment mode** (the original setup), logging in
 *   through a second gateway in fragment mode: one gateway has one login mode, and the dev IdP
 *   accepts both gateways' callbacks. Both gateways validate the same IdP's tokens, so the one
 *   demo API serves both pages.
 *
 * Session mode needs a loopback origin over plain http (its cookie is Secure everywhere else,
 * config/sections/session.ts); bound to another address, the gateway falls back to fragment mode
 * and the standalone SPA logs in through it, as before session mode existed.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve, join } from 'node:path';
import { startDevIdp, type DevIdp } from '../devidp/index.ts';
import { loadConfig } from '../config/index.ts';
import type { LoginMode } from '../config/sections/session.ts';
import { createServices, type Services } from '../services.ts';
import { createApp, listenApp } from '../app.ts';
import { dialHost } from '../http/spa.ts';
import { DEMO_UPSTREAM } from '../../examples/spa/site.ts';
import { startSpaServer, type SpaServer } from '../../examples/spa/server.ts';
import type { DevOptions } from './options.ts';

export interface DevStack {
  idp: DevIdp;
  /** Gateway URL as a browser should use it (SPA at `/`). */
  gatewayUrl: string;
  /** The gateway's login mode: `session`, or `fragment` when bound to a non-loopback address. */
  loginMode: LoginMode;
  /** Standalone SPA URL, when started. */
  spaUrl: string | undefined;
  /** The fragment-mode gateway the standalone SPA logs in through, when it is not `gatewayUrl`. */
  fragmentGatewayUrl: string | undefined;
  /** Absolute paths of the files written for the M2M and introspection examples, and of the configurations used. */
  files: { serviceUserKey: string; apiAppKey: string; env: string; fragmentEnv: string | undefined };
  /** The main gateway's services. */
  services: Services;
  close(): Promise<void>;
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * One host name for everything the browser sees. The login state cookie is set by the gateway's
 * host and must come back to the callback on the same host: mixing "localhost" and "127.0.0.1"
 * silently loses it. Loopback and wildcard binds are shown as "localhost".
 */
export function publicHost(bind: string): string {
  if (WILDCARD.has(bind) || LOOPBACK.has(bind)) return 'localhost';
  return bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
}

/** The IdP's issuer contains its bind host, so it needs a concrete, reachable address. */
const idpHost = (bind: string) => (WILDCARD.has(bind) || bind === 'localhost' ? '127.0.0.1' : bind);

/** A free TCP port on `host` (bound then released). Needed because the IdP must know the callback URLs up front. */
function freePort(host: string): number {
  const s = Bun.serve({ port: 0, hostname: host, fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

function writeSecretFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode option only applies when the file is created
}

/** The configuration for `zitauth serve`, for reading; no secrets in it (the cookie secret is added in memory only). */
function writeEnvFile(path: string, what: string, env: Record<string, string>): void {
  writeSecretFile(path, `# zitauth dev: ${what} (development IdP; valid while "zitauth dev" runs)\n${Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
}

/** Starts everything; on a partial failure, what already runs is stopped before rethrowing. */
export async function startDev(o: DevOptions, env: Record<string, string | undefined> = process.env): Promise<DevStack> {
  const host = publicHost(o.host);
  const bindForPorts = WILDCARD.has(o.host) ? '0.0.0.0' : o.host;
  const loginMode: LoginMode = host === 'localhost' ? 'session' : 'fragment';
  const gwPort = o.port || freePort(bindForPorts);
  const spaPort = o.spaPort === null ? null : o.spaPort || freePort(bindForPorts);
  const fragPort = spaPort !== null && loginMode === 'session' ? o.fragmentPort || freePort(bindForPorts) : null;
  const gatewayUrl = `http://${host}:${gwPort}`;
  const spaUrl = spaPort === null ? undefined : `http://${host}:${spaPort}`;
  const fragmentGatewayUrl = fragPort === null ? undefined : `http://${host}:${fragPort}`;
  /** Server-to-server addresses: loopback, never the public name (it may not resolve from inside). */
  const dial = (port: number) => `http://${dialHost(o.host)}:${port}`;

  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const idp = await startDevIdp({
      host: idpHost(o.host),
      port: o.idpPort,
      redirectUris: [`${gatewayUrl}/api/v1/callback`, ...(fragmentGatewayUrl ? [`${fragmentGatewayUrl}/api/v1/callback`] : [])],
      postLogoutRedirectUris: [`${gatewayUrl}/`, ...(spaUrl ? [`${spaUrl}/`] : [])],
    });
    stops.push(() => idp.close());

    const dir = resolve(o.dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const files = {
      serviceUserKey: join(dir, 'service-user.json'),
      apiAppKey: join(dir, 'api-app.json'),
      env: join(dir, 'gateway.env'),
      fragmentEnv: fragmentGatewayUrl ? join(dir, 'fragment-gateway.env') : undefined,
    };
    writeSecretFile(files.serviceUserKey, JSON.stringify(idp.serviceUserKey, null, 2));
    writeSecretFile(files.apiAppKey, JSON.stringify(idp.apiApp.key, null, 2));

    const common = (url: string, port: number): Record<string, string> => ({
      ZITADEL_DOMAIN: idp.issuer,
      ZITADEL_CLIENT_ID: idp.clientId,
      ZITADEL_REDIRECT_URL: `${url}/api/v1/callback`,
      SERVICE_ACCOUNT_FILE: files.serviceUserKey,
      PORT: String(port),
      ZITAUTH_HOST: o.host,
      ZITAUTH_PROJECT_ID: idp.projectId,
      ZITAUTH_INTROSPECTION_KEY_FILE: files.apiAppKey,
      ZITAUTH_LOG_LEVEL: env.ZITAUTH_LOG_LEVEL ?? 'info',
    });
    // Without a fragment-mode gateway of its own, the standalone SPA uses the main one (fragment then).
    const sharesMain = spaUrl !== undefined && fragmentGatewayUrl === undefined;
    const gatewayEnv: Record<string, string> = {
      ...common(gatewayUrl, gwPort),
      SPA_ORIGIN: gatewayUrl,
      ZITAUTH_SERVE_SPA: 'true',
      ZITAUTH_LOGIN_MODE: loginMode,
      // The demo API is this gateway's own /api/…, reached over loopback like any upstream.
      ...(loginMode === 'session' ? { ZITAUTH_UPSTREAMS: `${DEMO_UPSTREAM}=${dial(gwPort)}/api` } : {}),
      ...(sharesMain ? { ZITAUTH_RETURN_TO_ORIGINS: spaUrl, ZITAUTH_CORS_ORIGINS: spaUrl } : {}),
      ZITAUTH_POST_LOGOUT_REDIRECT_URIS: [`${gatewayUrl}/`, ...(sharesMain ? [`${spaUrl}/`] : [])].join(','),
      ...(env.ZITAUTH_M2M_API_KEYS ? { ZITAUTH_M2M_API_KEYS: env.ZITAUTH_M2M_API_KEYS } : {}),
    };
    writeEnvFile(files.env, `the ${loginMode}-mode gateway's configuration (${gatewayUrl})`, gatewayEnv);

    const startGateway = async (e: Record<string, string>, port: number): Promise<Services> => {
      const config = loadConfig({ ...e, ZITAUTH_COOKIE_SECRET: randomBytes(32).toString('base64url') });
      const services = await createServices(config);
      const app = listenApp(createApp(services), { port, hostname: o.host });
      stops.push(async () => {
        await app.stop(true);
        await services.stores.close().catch(() => {});
        services.logger.flush();
      });
      await services.validator.get(); // discovery + JWKS now, so the first request is fast and a broken IdP shows at once
      return services;
    };
    const services = await startGateway(gatewayEnv, gwPort);

    if (fragmentGatewayUrl !== undefined && fragPort !== null && spaUrl !== undefined) {
      // The original ZitAuth's setup: SPA_ORIGIN is the SPA on its own origin.
      const fragmentEnv: Record<string, string> = {
        ...common(fragmentGatewayUrl, fragPort),
        SPA_ORIGIN: spaUrl,
        ZITAUTH_POST_LOGOUT_REDIRECT_URIS: `${spaUrl}/`,
      };
      writeEnvFile(files.fragmentEnv!, `the fragment-mode gateway's configuration (${fragmentGatewayUrl}) for the SPA at ${spaUrl}`, fragmentEnv);
      await startGateway(fragmentEnv, fragPort);
    }

    if (spaPort !== null) {
      const via = fragPort ?? gwPort;
      const spa: SpaServer = startSpaServer({
        port: spaPort,
        hostname: o.host,
        gatewayUrl: dial(via),
        browserGatewayUrl: fragmentGatewayUrl ?? gatewayUrl,
        publicOrigin: spaUrl,
      });
      stops.push(() => spa.stop());
    }
    return { idp, gatewayUrl, loginMode, spaUrl, fragmentGatewayUrl, files, services, close };
  } catch (err) {
    await close();
    throw err;
  }
}
