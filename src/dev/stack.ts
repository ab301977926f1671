/**
 * The `zitauth dev` stack: development IdP, gateway (with the SPA embedded) and the standalone SPA,
 * wired together through the same configuration loader a real deployment uses.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve, join } from 'node:path';
import { startDevIdp, type DevIdp } from '../devidp/index.ts';
import { loadConfig } from '../config/index.ts';
import { createServices, type Services } from '../services.ts';
import { createApp, listenApp } from '../app.ts';
import { dialHost } from '../http/spa.ts';
import { startSpaServer, type SpaServer } from '../../examples/spa/server.ts';
import type { DevOptions } from './options.ts';

export interface DevStack {
  idp: DevIdp;
  /** Gateway URL as a browser should use it (SPA at `/`). */
  gatewayUrl: string;
  /** Standalone SPA URL, when started. */
  spaUrl: string | undefined;
  /** Absolute paths of the files written for the M2M and introspection examples. */
  files: { serviceUserKey: string; apiAppKey: string; env: string };
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

/** A free TCP port on `host` (bound then released). Needed because the IdP must know the callback URL up front. */
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

/** Starts everything; on a partial failure, what already runs is stopped before rethrowing. */
export async function startDev(o: DevOptions, env: Record<string, string | undefined> = process.env): Promise<DevStack> {
  const host = publicHost(o.host);
  const bindForPorts = WILDCARD.has(o.host) ? '0.0.0.0' : o.host;
  const gwPort = o.port || freePort(bindForPorts);
  const spaPort = o.spaPort === null ? null : o.spaPort || freePort(bindForPorts);
  const gatewayUrl = `http://${host}:${gwPort}`;
  const spaUrl = spaPort === null ? undefined : `http://${host}:${spaPort}`;
  const returnTargets = [`${gatewayUrl}/`, ...(spaUrl ? [`${spaUrl}/`] : [])];

  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const idp = await startDevIdp({
      host: idpHost(o.host),
      port: o.idpPort,
      redirectUris: [`${gatewayUrl}/api/v1/callback`],
      postLogoutRedirectUris: returnTargets,
    });
    stops.push(() => idp.close());

    const dir = resolve(o.dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const files = { serviceUserKey: join(dir, 'service-user.json'), apiAppKey: join(dir, 'api-app.json'), env: join(dir, 'gateway.env') };
    writeSecretFile(files.serviceUserKey, JSON.stringify(idp.serviceUserKey, null, 2));
    writeSecretFile(files.apiAppKey, JSON.stringify(idp.apiApp.key, null, 2));

    const gatewayEnv: Record<string, string> = {
      ZITADEL_DOMAIN: idp.issuer,
      ZITADEL_CLIENT_ID: idp.clientId,
      ZITADEL_REDIRECT_URL: `${gatewayUrl}/api/v1/callback`,
      SPA_ORIGIN: gatewayUrl,
      SERVICE_ACCOUNT_FILE: files.serviceUserKey,
      PORT: String(gwPort),
      ZITAUTH_HOST: o.host,
      ZITAUTH_PROJECT_ID: idp.projectId,
      ZITAUTH_INTROSPECTION_KEY_FILE: files.apiAppKey,
      ZITAUTH_SERVE_SPA: 'true',
      ...(spaUrl ? { ZITAUTH_RETURN_TO_ORIGINS: spaUrl, ZITAUTH_CORS_ORIGINS: spaUrl } : {}),
      ZITAUTH_POST_LOGOUT_REDIRECT_URIS: returnTargets.join(','),
      ZITAUTH_LOG_LEVEL: env.ZITAUTH_LOG_LEVEL ?? 'info',
      ...(env.ZITAUTH_M2M_API_KEYS ? { ZITAUTH_M2M_API_KEYS: env.ZITAUTH_M2M_API_KEYS } : {}),
    };
    // The equivalent configuration for `zitauth serve`, for reading; no secrets in it.
    writeSecretFile(files.env, `# zitauth dev: the gateway configuration it used (development IdP; valid while "zitauth dev" runs)\n${Object.entries(gatewayEnv).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);

    const config = loadConfig({ ...gatewayEnv, ZITAUTH_COOKIE_SECRET: randomBytes(32).toString('base64url') });
    const services = await createServices(config);
    const app = listenApp(createApp(services), { port: gwPort, hostname: o.host });
    stops.push(async () => {
      await app.stop(true);
      services.logger.flush();
    });
    await services.validator.get(); // discovery + JWKS now, so the first request is fast and a broken IdP shows at once

    if (spaPort !== null) {
      const spa: SpaServer = startSpaServer({
        port: spaPort,
        hostname: o.host,
        gatewayUrl: `http://${dialHost(o.host)}:${gwPort}`, // server to server: loopback, never the public name
        browserGatewayUrl: gatewayUrl,
        publicOrigin: spaUrl,
      });
      stops.push(() => spa.stop());
    }
    return { idp, gatewayUrl, spaUrl, files, services, close };
  } catch (err) {
    await close();
    throw err;
  }
}
