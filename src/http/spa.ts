import { Elysia } from 'elysia';
import type { Config } from '../config/index.ts';
import { DEMO_UPSTREAM, DIRECT_API, PROXIED_API, spaSite, type SpaClientConfig } from '../../examples/spa/site.ts';

/** Host to dial for a server bound to `host`: wildcard binds are reached over loopback. */
export function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * What the embedded page learns from /spa-config.json: the gateway is this origin, the login
 * returns to SPA_ORIGIN, and the demo API is called directly with the token (fragment mode) or
 * through the proxy's `demo` upstream (session mode; null without one, and the page says how to
 * configure it).
 */
export function embeddedSpaConfig(config: Pick<Config, 'loginMode' | 'session'>): SpaClientConfig {
  const session = config.loginMode === 'session';
  return {
    mode: config.loginMode,
    gatewayUrl: '',
    returnTo: null,
    api: !session ? DIRECT_API : config.session.upstreams.has(DEMO_UPSTREAM) ? PROXIED_API : null,
  };
}

/**
 * The example SPA and its demo protected API at `/`, from files embedded in the binary
 * (`ZITAUTH_SERVE_SPA=true`; SPA_ORIGIN is then the gateway's own origin). Empty when disabled.
 *
 * The demo API reaches the gateway the way any protected API would — over HTTP with Eden Treaty —
 * dialling this very server on loopback rather than SPA_ORIGIN, which may be a public name that
 * does not resolve from inside the host (or container).
 */
export function spaRoutes(config: Config): Elysia {
  if (!config.serveSpa) return new Elysia({ name: 'zitauth/spa' });
  return new Elysia({ name: 'zitauth/spa' }).use(
    spaSite({
      gatewayFor: ({ request, server }) =>
        server?.port ? `http://${dialHost(config.host)}:${server.port}` : new URL(request.url).origin,
      client: embeddedSpaConfig(config),
    }),
  );
}
