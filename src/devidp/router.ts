/**
 * Request routing of the dev IdP: the endpoints Zitadel answers differently from oidc-provider are
 * handled here; everything else is relayed to oidc-provider's Node listener on a private port.
 */
import { endSession, LOGGED_OUT_PATH, type EndSessionDeps } from './end-session.ts';
import { oauthError } from './http.ts';
import { introspect, type IntrospectionDeps } from './introspection.ts';
import { jwtBearerGrant, JWT_BEARER, type JwtBearerDeps } from './jwt-bearer.ts';
import { loggedOutPage } from './login-page.ts';
import { PATHS } from './provider.ts';
import { PROJECTS_ROLES_SCOPE, projectAudScope, RESOURCE_OWNER_SCOPE } from './scopes.ts';
import { codeOrRefreshGrant, type TokenEndpointDeps } from './token-endpoint.ts';
import { userinfo } from './userinfo.ts';
import type { SigningKeyring } from './keys.ts';
import type { TokenService } from './tokens.ts';

export interface RouterDeps {
  /** Base URL of oidc-provider's private Node listener. */
  backend: () => string;
  keyring: SigningKeyring;
  tokens: TokenService;
  counts: Record<string, number>;
  jwtBearer: JwtBearerDeps;
  introspection: IntrospectionDeps;
  endSession: EndSessionDeps;
  tokenEndpoint: Omit<TokenEndpointDeps, 'relay'>;
  issuer: string;
  projectId: string;
  /** Registered callback URIs (authorization responses to them lose oidc-provider's `iss`). */
  redirectUris: readonly string[];
}

const HOP_BY_HOP = ['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'];
const IMPLEMENTED_GRANTS = new Set(['authorization_code', 'refresh_token', JWT_BEARER]);

async function relay(deps: RouterDeps, req: Request, url: URL, body?: string): Promise<Response> {
  const headers = new Headers(req.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  const res = await fetch(`${deps.backend()}${url.pathname}${url.search}`, {
    method: req.method,
    headers,
    body: body ?? (req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer()),
    redirect: 'manual',
  });
  const out = new Headers(res.headers);
  for (const h of HOP_BY_HOP) out.delete(h);
  return new Response(req.method === 'HEAD' ? null : await res.arrayBuffer(), { status: res.status, headers: out });
}

/** Adds what Zitadel's discovery document states and oidc-provider's does not (zitadel/oidc `pkg/op/discovery.go`). */
async function discovery(deps: RouterDeps, req: Request, url: URL): Promise<Response> {
  const res = await relay(deps, req, url);
  if (res.status !== 200) return res;
  const doc = (await res.json()) as Record<string, unknown>;
  const grants = new Set([...((doc.grant_types_supported as string[]) ?? []), JWT_BEARER]);
  const scopes = new Set([
    ...((doc.scopes_supported as string[]) ?? []),
    PROJECTS_ROLES_SCOPE,
    RESOURCE_OWNER_SCOPE,
    projectAudScope(deps.projectId),
  ]);
  const i = deps.issuer;
  // Zitadel has no RFC 9207 `iss` authorization-response parameter.
  delete doc.authorization_response_iss_parameter_supported;
  Object.assign(doc, {
    authorization_endpoint: `${i}${PATHS.authorization}`,
    token_endpoint: `${i}${PATHS.token}`,
    introspection_endpoint: `${i}${PATHS.introspection}`,
    userinfo_endpoint: `${i}${PATHS.userinfo}`,
    revocation_endpoint: `${i}${PATHS.revocation}`,
    end_session_endpoint: `${i}${PATHS.end_session}`,
    jwks_uri: `${i}${PATHS.jwks}`,
    grant_types_supported: [...grants],
    scopes_supported: [...scopes],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'private_key_jwt'],
    // v4: always (zitadel `internal/api/oidc/server.go`); v2.71: with the enable_back_channel_logout feature.
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
  });
  return Response.json(doc, { headers: { 'Cache-Control': 'max-age=300' } });
}

/**
 * oidc-provider's "Zitadel has none": offline_access is only honoured with prompt=consent (OIDC Core
 * §11). Asking for consent is invisible here (the login UI grants it automatically), so add it.
 */
function authorizeUrl(url: URL): URL {
  const scopes = (url.searchParams.get('scope') ?? '').split(' ');
  const prompt = (url.searchParams.get('prompt') ?? '').split(' ').filter(Boolean);
  if (!scopes.includes('offline_access') || prompt.includes('consent') || prompt.includes('none')) return url;
  const out = new URL(url);
  out.searchParams.set('prompt', [...prompt, 'consent'].join(' '));
  return out;
}

/**
 * The redirect back to the app carries `code` and `state` (and `session_state` if any) but no `iss`:
 * zitadel/oidc `AuthResponseCode` (`pkg/op/auth_request.go`). oidc-provider always adds RFC 9207's `iss`.
 */
function withoutIss(res: Response, deps: RouterDeps): Response {
  const location = res.headers.get('location');
  if (!location) return res;
  let to: URL;
  try {
    to = new URL(location);
  } catch {
    return res;
  }
  if (!deps.redirectUris.includes(`${to.origin}${to.pathname}`) || !to.searchParams.has('iss')) return res;
  to.searchParams.delete('iss');
  const headers = new Headers(res.headers);
  headers.set('location', to.href);
  return new Response(res.body, { status: res.status, headers });
}

/**
 * oidc-provider answers `invalid_client` with 401 (and a `WWW-Authenticate` challenge); Zitadel with
 * 400 like every other OAuth error (zitadel/oidc `pkg/op/error.go` `WriteError`: 400 unless server_error).
 */
function oauthStatus(res: Response): Response {
  if (res.status !== 401) return res;
  const headers = new Headers(res.headers);
  headers.delete('www-authenticate');
  return new Response(res.body, { status: 400, headers });
}

async function token(deps: RouterDeps, req: Request, url: URL): Promise<Response> {
  const body = await req.text();
  const form = new URLSearchParams(body);
  const grant = form.get('grant_type') ?? '';
  deps.counts[`token:${grant}`] = (deps.counts[`token:${grant}`] ?? 0) + 1;
  // zitadel/oidc `pkg/op/server_http.go` tokensHandler.
  if (grant === '') return oauthError(400, 'invalid_request', 'grant_type missing');
  if (!IMPLEMENTED_GRANTS.has(grant)) return oauthError(400, 'unsupported_grant_type', 'grant_type not supported');
  if (grant === JWT_BEARER) return jwtBearerGrant(form, deps.jwtBearer);
  return codeOrRefreshGrant(form, body, { ...deps.tokenEndpoint, relay: async (b) => oauthStatus(await relay(deps, req, url, b)) });
}

/** Builds the request handler for the front server. */
export function createRouter(deps: RouterDeps): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname;
    try {
      if (path === '/.well-known/openid-configuration') return await discovery(deps, req, url);
      if (path === PATHS.jwks) {
        return Response.json(deps.keyring.publicJwks(), {
          headers: { 'Cache-Control': 'max-age=300', 'Access-Control-Allow-Origin': '*' },
        });
      }
      if (path === PATHS.userinfo && (req.method === 'GET' || req.method === 'POST')) return await userinfo(req, deps.introspection);
      if (path === PATHS.introspection && req.method === 'POST') {
        return await introspect(req, new URLSearchParams(await req.text()), deps.introspection);
      }
      if (path === PATHS.token && req.method === 'POST') return await token(deps, req, url);
      if (path === PATHS.revocation && req.method === 'POST') {
        const body = await req.text();
        const value = new URLSearchParams(body).get('token');
        // Tokens minted outside oidc-provider are revoked here; the rest is the provider's.
        if (value && deps.tokens.revokeOpaque(value)) return new Response(null, { status: 200 });
        return oauthStatus(await relay(deps, req, url, body));
      }
      if (path === PATHS.end_session && (req.method === 'GET' || req.method === 'POST')) return await endSession(req, url, deps.endSession);
      if (path === LOGGED_OUT_PATH && req.method === 'GET') {
        return new Response(loggedOutPage(), { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
      }
      if (path === PATHS.authorization && req.method === 'GET') return withoutIss(await relay(deps, req, authorizeUrl(url)), deps);
      if (path.startsWith(`${PATHS.authorization}/`)) return withoutIss(await relay(deps, req, url), deps);
      return await relay(deps, req, url);
    } catch {
      return Response.json({ error: 'server_error', error_description: 'dev IdP failed to process the request' }, { status: 500 });
    }
  };
}
