/**
 * The SPA demo site as one Elysia plugin, shared by the gateway (`ZITAUTH_SERVE_SPA=true`, see
 * src/http/spa.ts) and the standalone server (examples/spa/server.ts):
 *   GET /                 the page (security headers: CSP, no referrer, nosniff, no framing)
 *   GET /spa/:file        its script, stylesheet and icon (embedded in the binary)
 *   GET /favicon.ico      the icon, for browsers that ask there anyway
 *   GET /spa-config.json  the login mode, where the browser finds the gateway and the demo API
 *   GET /api/protected    a demo protected API: asks the gateway's /api/v1/validate (Eden Treaty)
 *   GET /api/userinfo     delegates to the gateway's /api/v1/userinfo
 * The demo API plays "your protected API" from the architecture diagram: it never verifies a
 * token itself, the gateway does. Both login modes use this one API: in fragment mode the page
 * sends it the access token itself; in session mode the page calls it through the gateway's
 * proxy (`/api/v1/proxy/demo/…`, ZITAUTH_UPSTREAMS=demo=<this site>/api), which adds the token.
 */
import { Elysia } from 'elysia';
import { treaty } from '@elysiajs/eden';
import type { Server } from 'bun';
import type { App } from '../../src/app.ts';
import { ASSETS, FAVICON, INDEX, type SpaAsset } from './assets.ts';

/** The demo API's paths as the page calls them. */
export interface SpaApiPaths {
  protected: string;
  userinfo: string;
}

/** The demo API on the page's own origin (fragment mode: the page sends the token). */
export const DIRECT_API: SpaApiPaths = { protected: '/api/protected', userinfo: '/api/userinfo' };

/** The ZITAUTH_UPSTREAMS name the session-mode page calls the demo API by. */
export const DEMO_UPSTREAM = 'demo';

/**
 * The demo API through the gateway's proxy (session mode). The upstream `demo` points at the
 * site's `/api` (e.g. `demo=http://127.0.0.1:8000/api`), so `/api/v1/proxy/demo/protected`
 * reaches `/api/protected`.
 */
export const PROXIED_API: SpaApiPaths = {
  protected: `/api/v1/proxy/${DEMO_UPSTREAM}/protected`,
  userinfo: `/api/v1/proxy/${DEMO_UPSTREAM}/userinfo`,
};

/** What the browser reads from /spa-config.json. */
export interface SpaClientConfig {
  /** The gateway's ZITAUTH_LOGIN_MODE: where the tokens go after the login. */
  mode: 'fragment' | 'session';
  /** Gateway base URL as the browser reaches it; '' = this origin (the gateway serves the SPA). */
  gatewayUrl: string;
  /** Absolute URL the gateway should return to after login and logout; null = the gateway's SPA_ORIGIN. */
  returnTo: string | null;
  /** Where the page calls the demo API; null = session mode without a `demo` upstream (the page says so). */
  api: SpaApiPaths | null;
}

export interface SpaSiteOptions {
  /** Gateway base URL for server-to-server calls, per request (the embedded site calls its own server). */
  gatewayFor(ctx: { request: Request; server: Server<unknown> | null }): string;
  client: SpaClientConfig;
  /** Injectable for tests. */
  fetch?: typeof fetch;
}

/** default-src 'self' covers script/style/connect/img; nothing inline, no framing, no plugins. */
export const SPA_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

function fileResponse(asset: SpaAsset, extra: Record<string, string> = {}): Response {
  return new Response(Bun.file(asset.path), {
    headers: { 'content-type': asset.contentType, 'cache-control': 'no-cache', ...SECURITY_HEADERS, ...extra },
  });
}

function json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS, ...extra },
  });
}

type Gateway = ReturnType<typeof treaty<App>>;

/** Forward the caller's Authorization header only when present (Eden would send "undefined"). */
// The browser's header as it came; none is passed on as empty, which the gateway answers like a
// missing one (400 with a Bearer challenge) — the client's type requires the header.
const bearer = (authorization: string | undefined) => ({ authorization: authorization ?? '' });

/** RFC-style body of a gateway error, passed through with its status and Bearer challenge. */
function passError(r: { status: number; error: { value: unknown } | null; response: Response }): Response {
  const challenge = r.response.headers.get('www-authenticate');
  const body = r.error?.value ?? { error: 'server_error', error_description: 'The gateway answered unexpectedly.' };
  return json(r.status || 502, body, challenge ? { 'www-authenticate': challenge } : {});
}

const unreachable = () =>
  json(502, { error: 'temporarily_unavailable', error_description: 'The ZitAuth gateway is not reachable.' });

/** GET /api/protected: the gateway validates the caller's token; we answer with its claims. */
export async function protectedEndpoint(gateway: Gateway, authorization: string | undefined): Promise<Response> {
  let r;
  try {
    r = await gateway.api.v1.validate.get({ headers: bearer(authorization), query: {} });
  } catch {
    return unreachable();
  }
  if (r.error || !r.data) return passError(r);
  return json(200, {
    message: 'Hello from the protected API: ZitAuth validated your token.',
    sub: r.data.sub,
    claims: r.data,
  });
}

/** GET /api/userinfo: the caller's profile, fetched by the gateway from Zitadel. */
export async function userinfoEndpoint(gateway: Gateway, authorization: string | undefined): Promise<Response> {
  let r;
  try {
    r = await gateway.api.v1.userinfo.get({ headers: bearer(authorization) });
  } catch {
    return unreachable();
  }
  if (r.error || !r.data) return passError(r);
  return json(200, r.data);
}

/** The SPA site plugin (see the file comment). Routes are hidden from the gateway's OpenAPI. */
export function spaSite(opts: SpaSiteOptions): Elysia {
  const clients = new Map<string, Gateway>();
  const gatewayAt = (base: string): Gateway => {
    let c = clients.get(base);
    if (!c) {
      c = treaty<App>(base, opts.fetch ? { fetcher: opts.fetch } : {});
      clients.set(base, c);
    }
    return c;
  };
  const hide = { detail: { hide: true } };
  const plugin = new Elysia();
  plugin
    .get('/', () => fileResponse(INDEX, { 'content-security-policy': SPA_CSP, 'x-frame-options': 'DENY' }), hide)
    .get('/index.html', () => fileResponse(INDEX, { 'content-security-policy': SPA_CSP, 'x-frame-options': 'DENY' }), hide)
    .get(
      '/spa/:file',
      ({ params }) => {
        const asset = ASSETS.get(params.file);
        return asset ? fileResponse(asset) : json(404, { error: 'not_found', error_description: 'No such asset.' });
      },
      hide,
    )
    .get('/favicon.ico', () => fileResponse(FAVICON, { 'cache-control': 'public, max-age=86400' }), hide)
    .get('/spa-config.json', () => json(200, opts.client), hide)
    .get('/api/protected', ({ request, server }) => protectedEndpoint(gatewayAt(opts.gatewayFor({ request, server })), request.headers.get('authorization') ?? undefined), hide)
    .get('/api/userinfo', ({ request, server }) => userinfoEndpoint(gatewayAt(opts.gatewayFor({ request, server })), request.headers.get('authorization') ?? undefined), hide);
  return plugin;
}
