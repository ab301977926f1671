/**
 * Request routing of the dev IdP: the endpoints Zitadel answers differently from oidc-provider are
 * handled here; everything else is relayed to oidc-provider's Node listener on a private port.
 */
import { oauthError } from './http.ts';
import { introspect, type IntrospectionDeps } from './introspection.ts';
import { jwtBearerGrant, JWT_BEARER, type JwtBearerDeps } from './jwt-bearer.ts';
import { PATHS } from './provider.ts';
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
  issuer: string;
  projectId: string;
}

const HOP_BY_HOP = ['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'];

async function relay(deps: RouterDeps, req: Request, url: URL, body?: string, cookieOverride?: string): Promise<Response> {
  const headers = new Headers(req.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  if (cookieOverride !== undefined) headers.set('cookie', cookieOverride);
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

/** Adds what Zitadel's discovery document states and oidc-provider's does not. */
async function discovery(deps: RouterDeps, req: Request, url: URL): Promise<Response> {
  const res = await relay(deps, req, url);
  if (res.status !== 200) return res;
  const doc = (await res.json()) as Record<string, unknown>;
  const grants = new Set([...((doc.grant_types_supported as string[]) ?? []), JWT_BEARER]);
  const scopes = new Set([
    ...((doc.scopes_supported as string[]) ?? []),
    'urn:zitadel:iam:org:projects:roles',
    'urn:zitadel:iam:user:resourceowner',
    `urn:zitadel:iam:org:project:id:${deps.projectId}:aud`,
  ]);
  const i = deps.issuer;
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

/** name=value pairs of a Cookie header plus Set-Cookie updates (the later ones win). */
function mergeCookies(cookieHeader: string | null, setCookies: string[]): string {
  const jar = new Map<string, string>();
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...v] = part.trim().split('=');
    if (name) jar.set(name, v.join('='));
  }
  for (const sc of setCookies) {
    const [pair = '', ...attrs] = sc.split(';');
    const [name, ...v] = pair.trim().split('=');
    if (!name) continue;
    const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
    if (expired) jar.delete(name);
    else jar.set(name, v.join('='));
  }
  return [...jar].map(([n, v]) => `${n}=${v}`).join('; ');
}

/**
 * Zitadel's end_session redirects at once; oidc-provider asks first. We submit its confirmation form
 * ourselves (same cookies, its xsrf token) and return the final redirect with every cookie change.
 */
async function endSession(deps: RouterDeps, req: Request, url: URL): Promise<Response> {
  const body = req.method === 'POST' ? await req.text() : undefined;
  const first = await relay(deps, req, url, body);
  const html = first.status === 200 ? await first.clone().text() : '';
  const action = html.match(/<form[^>]*id="op\.logoutForm"[^>]*action="([^"]+)"/)?.[1] ?? html.match(/<form[^>]*action="([^"]+)"[^>]*id="op\.logoutForm"/)?.[1];
  const xsrf = html.match(/name="xsrf"\s+value="([^"]+)"/)?.[1];
  if (!action || !xsrf) return first;

  const firstCookies = first.headers.getSetCookie();
  const confirmUrl = new URL(action, deps.issuer);
  const confirmReq = new Request(confirmUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: req.headers.get('cookie') ?? '' },
  });
  const confirm = await relay(
    deps,
    confirmReq,
    confirmUrl,
    new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    mergeCookies(req.headers.get('cookie'), firstCookies),
  );
  const headers = new Headers();
  for (const [k, v] of confirm.headers) if (k !== 'set-cookie') headers.set(k, v);
  for (const c of [...firstCookies, ...confirm.headers.getSetCookie()]) headers.append('set-cookie', c);
  return new Response(await confirm.arrayBuffer(), { status: confirm.status, headers });
}

/** Builds the request handler for {@link FrontServer}. */
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
      if (path === PATHS.token && req.method === 'POST') {
        const body = await req.text();
        const form = new URLSearchParams(body);
        const grant = form.get('grant_type') ?? '';
        deps.counts[`token:${grant}`] = (deps.counts[`token:${grant}`] ?? 0) + 1;
        if (grant === JWT_BEARER) return await jwtBearerGrant(form, deps.jwtBearer);
        // Zitadel: missing verifier is invalid_request (oidc-provider says invalid_grant).
        if (grant === 'authorization_code' && !form.get('code_verifier')) {
          return oauthError(400, 'invalid_request', 'code_verifier missing');
        }
        return await relay(deps, req, url, body);
      }
      if (path === PATHS.revocation && req.method === 'POST') {
        const body = await req.text();
        const token = new URLSearchParams(body).get('token');
        // Tokens minted outside oidc-provider are revoked here; the rest is the provider's.
        if (token && deps.tokens.revokeOpaque(token)) return new Response(null, { status: 200 });
        return await relay(deps, req, url, body);
      }
      if (path === PATHS.end_session && (req.method === 'GET' || req.method === 'POST')) return await endSession(deps, req, url);
      if (path === PATHS.authorization && req.method === 'GET') return await relay(deps, req, authorizeUrl(url));
      return await relay(deps, req, url);
    } catch {
      return Response.json({ error: 'server_error', error_description: 'dev IdP failed to process the request' }, { status: 500 });
    }
  };
}
