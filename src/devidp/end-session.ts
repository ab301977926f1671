/**
 * `/oidc/v1/end_session` (RP-initiated logout) the Zitadel way, answered here instead of by
 * oidc-provider: Zitadel validates and redirects at once (oidc-provider asks "sign out?" first),
 * answers errors as JSON 400, accepts an expired `id_token_hint`, and reads `azp` of a
 * multi-audience hint (oidc-provider expects `aud` to be the client id).
 *
 * Rules (zitadel/oidc v3.36.1 `pkg/op/session.go` `ValidateEndSessionRequest`, written out by
 * `pkg/op/server_http.go` `endSessionHandler` → `WriteError`, 400 unless server_error):
 * - a hint that is not a JWT of this issuer with a valid signature → `invalid_request` "id_token_hint
 *   invalid" (expiry, iat and auth_time are not checked: `IDTokenHintExpiredError` is accepted);
 * - `client_id` ≠ the hint's `azp` → `invalid_request`; without `client_id` the hint's `azp` is used;
 * - an unknown client → `invalid_request` "Errors.App.NotFound" (zitadel `internal/query/oidc_client.go`);
 * - a known client with an unregistered `post_logout_redirect_uri` → `invalid_request`;
 * - with neither hint nor client_id the URI is ignored and Zitadel's own "logged out" page is used;
 * - `state` is appended to whichever URI is used; then 302.
 * The session to end is the browser's (cookie) or, without one, the hint's `sid` (login v2 style,
 * zitadel `internal/api/oidc/auth_request.go` `TerminateSessionFromRequest`).
 */
import { compactVerify, decodeProtectedHeader } from 'jose';
import type { DevIdpStore } from './adapter.ts';
import type { BackChannelLogout } from './backchannel.ts';
import type { Realm } from './claims.ts';
import type { CookieKeys } from './cookie-keys.ts';
import { oauthError } from './http.ts';
import type { SigningKeyring } from './keys.ts';

/** Zitadel's login v1 "you are logged out" page (`DefaultLogoutRedirectURI`). */
export const LOGGED_OUT_PATH = '/ui/login/logout/done';
const SESSION_COOKIE = '_session';

export interface EndSessionDeps {
  realm: Realm;
  keyring: SigningKeyring;
  store: DevIdpStore;
  cookieKeys: CookieKeys;
  postLogoutRedirectUris: readonly string[];
  backChannel: BackChannelLogout;
  log: (line: string) => void;
}

/** Claims of a hint signed by one of our published keys for our issuer; expiry deliberately ignored. */
async function verifyHint(hint: string, d: EndSessionDeps): Promise<Record<string, unknown> | undefined> {
  try {
    const { kid } = decodeProtectedHeader(hint);
    const key = typeof kid === 'string' ? d.keyring.find(kid) : undefined;
    if (!key?.published) return undefined;
    const { payload } = await compactVerify(hint, key.publicKey);
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    return claims.iss === d.realm.issuer ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** The browser's session id, when its cookie carries our signature. */
function cookieSession(req: Request, d: EndSessionDeps): string | undefined {
  const jar = new Map<string, string>();
  for (const part of (req.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) jar.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  const id = jar.get(SESSION_COOKIE);
  const sig = jar.get(`${SESSION_COOKIE}.sig`);
  if (!id || !sig || !d.cookieKeys.verify(`${SESSION_COOKIE}=${id}`, sig)) return undefined;
  return id;
}

/** Parameters from the query and, for POST, the form body (Go's `r.Form`). */
async function params(req: Request, url: URL): Promise<URLSearchParams> {
  const p = new URLSearchParams(url.search);
  if (req.method === 'POST') for (const [k, v] of new URLSearchParams(await req.text())) p.append(k, v);
  return p;
}

const expiredCookie = (name: string) => `${name}=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; samesite=lax; httponly`;

export async function endSession(req: Request, url: URL, d: EndSessionDeps): Promise<Response> {
  const p = await params(req, url);
  let clientId = p.get('client_id') ?? '';
  const hint = p.get('id_token_hint') ?? '';
  let hintSid: string | undefined;
  if (hint !== '') {
    const claims = await verifyHint(hint, d);
    if (!claims) return oauthError(400, 'invalid_request', 'id_token_hint invalid');
    const azp = typeof claims.azp === 'string' ? claims.azp : '';
    if (clientId !== '' && clientId !== azp) return oauthError(400, 'invalid_request', 'client_id does not match azp of id_token_hint');
    clientId = azp;
    hintSid = typeof claims.sid === 'string' ? claims.sid : undefined;
  }

  let target = `${d.realm.issuer}${LOGGED_OUT_PATH}`;
  if (clientId !== '') {
    if (clientId !== d.realm.clientId) return oauthError(400, 'invalid_request', 'Errors.App.NotFound');
    const wanted = p.get('post_logout_redirect_uri') ?? '';
    if (wanted !== '') {
      if (!d.postLogoutRedirectUris.includes(wanted)) return oauthError(400, 'invalid_request', 'post_logout_redirect_uri invalid');
      target = wanted;
    }
  }
  const state = p.get('state') ?? '';
  if (state !== '') {
    const u = new URL(target);
    u.searchParams.set('state', state);
    target = u.href;
  }

  const id = cookieSession(req, d) ?? (hintSid ? d.store.sessionIdByUid(hintSid) : undefined);
  const ended = id ? d.store.endSession(id) : undefined;
  if (ended?.uid) {
    d.log('devidp: session ended (end_session)');
    d.backChannel.sessionEnded(ended.uid);
  }
  const headers = new Headers({ location: target, 'cache-control': 'no-store' });
  headers.append('set-cookie', expiredCookie(SESSION_COOKIE));
  headers.append('set-cookie', expiredCookie(`${SESSION_COOKIE}.sig`));
  return new Response(null, { status: 302, headers });
}
