#!/usr/bin/env bun
/**
 * The SPA demo on its own origin, as in the original ZitAuth (port 3001): the page, plus
 * /api/protected and /api/userinfo which delegate to the gateway at ZITAUTH_URL. Fragment mode:
 * a page on another origin than the gateway receives the tokens in the URL fragment (session
 * mode needs the page on the gateway's origin, where the gateway serves it itself).
 *
 *   ZITAUTH_URL=http://localhost:8000 bun examples/spa/server.ts
 *
 * The gateway must send the browser back here: run it with SPA_ORIGIN=http://localhost:3001
 * (or list this origin in ZITAUTH_RETURN_TO_ORIGINS and ZITAUTH_POST_LOGOUT_REDIRECT_URIS and set
 * SPA_PUBLIC_URL here). SPA_PORT / SPA_HOST choose the listener (default 127.0.0.1:3001).
 * `zitauth dev` starts this server for you next to the gateway.
 */
import { Elysia } from 'elysia';
import { DIRECT_API, spaSite } from './site.ts';

export interface SpaServerOptions {
  /** Default 3001; 0 = ephemeral. */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  /** Gateway base URL for server-to-server calls (the demo API). */
  gatewayUrl: string;
  /** Gateway base URL as the browser sees it; default `gatewayUrl`. */
  browserGatewayUrl?: string;
  /** This site's public origin, sent to the gateway as return_to / post-logout target; default: none (the gateway's SPA_ORIGIN). */
  publicOrigin?: string;
}

export interface SpaServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts the standalone SPA site; `stop()` it when done. */
export function startSpaServer(opts: SpaServerOptions): SpaServer {
  const gatewayUrl = opts.gatewayUrl.replace(/\/+$/, '');
  const app = new Elysia()
    .use(
      spaSite({
        gatewayFor: () => gatewayUrl,
        client: {
          mode: 'fragment',
          gatewayUrl: (opts.browserGatewayUrl ?? gatewayUrl).replace(/\/+$/, ''),
          returnTo: opts.publicOrigin ? `${new URL(opts.publicOrigin).origin}/` : null,
          api: DIRECT_API,
        },
      }),
    )
    .listen({ port: opts.port ?? 3001, hostname: opts.hostname ?? '127.0.0.1' });
  const port = app.server!.port!;
  return {
    url: `http://${opts.hostname ?? '127.0.0.1'}:${port}`,
    port,
    stop: async () => {
      await app.stop(true);
    },
  };
}

if (import.meta.main) {
  const env = process.env;
  const s = startSpaServer({
    port: Number(env.SPA_PORT ?? 3001),
    hostname: env.SPA_HOST ?? '127.0.0.1',
    gatewayUrl: env.ZITAUTH_URL ?? 'http://localhost:8000',
    publicOrigin: env.SPA_PUBLIC_URL,
  });
  console.log(`SPA demo on ${s.url} (gateway ${env.ZITAUTH_URL ?? 'http://localhost:8000'})`);
}
