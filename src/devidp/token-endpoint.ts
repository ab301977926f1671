/**
 * The authorization_code and refresh_token grants: oidc-provider does the protocol work (code
 * binding, PKCE, rotation); this layer makes the answer Zitadel's.
 *
 * Zitadel v2.71.18 / v4.13.1 `internal/api/oidc/token_code.go`, `token_refresh.go` and `token.go`
 * `accessTokenResponseFromSession`:
 * - the response is `{access_token, token_type, refresh_token?, expires_in, id_token?}` — never a
 *   `scope` member (oidc-provider adds one);
 * - the ID token is Zitadel's (multi-audience with `azp`, `client_id`, `sid` of the login session;
 *   see {@link userIdTokenClaims}); it comes back on every refresh too while `openid` is in scope;
 * - a refresh token comes back only with `offline_access` (`NeedRefreshToken`);
 * - each refresh rotates the refresh token (`RenewRefreshToken`); the previous one is then invalid
 *   (`OIDCSessionWriteModel.CheckRefreshToken`: "OIDCS-28ubl") and answers 400 `invalid_request`
 *   "Errors.OIDCSession.RefreshTokenInvalid" (`oidcError`: PreconditionFailed → 400), while the
 *   session and its current refresh token stay valid. oidc-provider would instead treat the reuse as
 *   theft and revoke the whole grant, so a used refresh token never reaches it. Refreshes of one token
 *   are serialised here, so of two concurrent ones exactly one succeeds. (Zitadel pushes the rotation
 *   without an optimistic lock, so there both may succeed and only the later token stays valid —
 *   either way a client must refresh single-flight.)
 */
import { decodeJwt } from 'jose';
import type { DevIdpStore } from './adapter.ts';
import type { BackChannelLogout } from './backchannel.ts';
import { userIdTokenClaims, type Realm } from './claims.ts';
import { epochNow, json, oauthError } from './http.ts';
import { splitScope } from './scopes.ts';
import type { TokenService } from './tokens.ts';
import type { DevIdpUser } from './types.ts';

export interface TokenEndpointDeps {
  /** Sends the (unchanged) request body on to oidc-provider. */
  relay: (body: string) => Promise<Response>;
  store: DevIdpStore;
  realm: Realm;
  users: DevIdpUser[];
  tokens: TokenService;
  idTokenTtlSec: number;
  /** Set when the app has a back-channel logout URI. */
  backChannel?: { service: BackChannelLogout; uri: string };
  /** Refreshes in progress, by refresh-token value (one map per dev IdP). */
  refreshLocks: Map<string, Promise<unknown>>;
}

const REFRESH_INVALID = () => oauthError(400, 'invalid_request', 'Errors.OIDCSession.RefreshTokenInvalid');

/** Runs `run` after every earlier call with the same key has settled (see the module comment). */
function serialised<T>(locks: Map<string, Promise<unknown>>, key: string, run: () => Promise<T>): Promise<T> {
  const before = locks.get(key) ?? Promise.resolve();
  const mine = before.then(run, run);
  const tail = mine.catch(() => undefined);
  locks.set(key, tail);
  void tail.then(() => {
    if (locks.get(key) === tail) locks.delete(key);
  });
  return mine;
}

export async function codeOrRefreshGrant(form: URLSearchParams, body: string, d: TokenEndpointDeps): Promise<Response> {
  if (form.get('grant_type') === 'authorization_code') {
    // Zitadel: a missing verifier is invalid_request (oidc-provider says invalid_grant).
    if (!form.get('code_verifier')) return oauthError(400, 'invalid_request', 'code_verifier required');
    const code = d.store.get(`AuthorizationCode:${form.get('code') ?? ''}`);
    const res = await d.relay(body);
    if (res.status !== 200 || !code) return res;
    const sid = code.sessionUid ?? '';
    if (d.backChannel && sid !== '' && code.accountId) {
      d.backChannel.service.register(sid, { sub: code.accountId, clientId: d.realm.clientId, uri: d.backChannel.uri });
    }
    return zitadelResponse(res, { sid, authTime: code.authTime }, d);
  }

  const value = form.get('refresh_token') ?? '';
  if (value === '') return oauthError(400, 'invalid_request', 'refresh_token missing');
  return serialised(d.refreshLocks, value, async () => {
    const rt = d.store.get(`RefreshToken:${value}`);
    if (!rt || rt.consumed || (typeof rt.exp === 'number' && rt.exp <= epochNow())) return REFRESH_INVALID();
    const res = await d.relay(body);
    if (res.status === 400 && ((await res.clone().json().catch(() => ({}))) as { error?: string }).error === 'invalid_grant') return REFRESH_INVALID();
    if (res.status !== 200) return res;
    return zitadelResponse(res, { sid: rt.sessionUid ?? '', authTime: rt.authTime }, d);
  });
}

/** Rebuilds oidc-provider's token response in Zitadel's shape. */
async function zitadelResponse(res: Response, session: { sid: string; authTime: unknown }, d: TokenEndpointDeps): Promise<Response> {
  const t = (await res.json()) as Record<string, unknown>;
  const accessToken = String(t.access_token ?? '');
  const out: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer' };
  if (typeof t.refresh_token === 'string') out.refresh_token = t.refresh_token;
  out.expires_in = t.expires_in;
  if (typeof t.id_token === 'string') {
    // oidc-provider signed it with our key; we only reshape what it asserted.
    const issued = decodeJwt(t.id_token);
    const user = d.users.find((u) => u.sub === issued.sub);
    if (user) {
      const iat = epochNow();
      out.id_token = await d.tokens.signJwt(
        userIdTokenClaims(user, d.realm, {
          iat,
          exp: iat + d.idTokenTtlSec,
          authTime: typeof session.authTime === 'number' ? session.authTime : typeof issued.auth_time === 'number' ? issued.auth_time : iat,
          nonce: typeof issued.nonce === 'string' ? issued.nonce : undefined,
          sid: session.sid,
          accessToken,
          scopes: splitScope(typeof t.scope === 'string' ? t.scope : ''),
        }),
      );
    }
  }
  return json(out);
}
