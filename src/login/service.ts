import { createHash } from 'node:crypto';
import type { Config } from '../config/index.ts';
import type { IdpClient } from '../idp/index.ts';
import { generatePkce, randomToken } from '../idp/index.ts';
import { InvalidRequest, InvalidState } from '../errors.ts';
import type { OnceSet } from '../store/types.ts';
import { fragmentDelivery, type TokenDelivery } from './delivery.ts';
import { StateCookies } from './state-cookie.ts';
import { resolveReturnTo } from './return-to.ts';

export interface LoginOptions {
  scopes: string;
  spaOrigin: string;
  returnToOrigins: string[];
  postLogoutRedirectUris: string[];
  /** How long a login may take: also how long a completed state stays claimed. */
  loginTtlSec: number;
}

/** A redirect the HTTP layer turns into a 302, with cookies to set. */
export interface Redirect {
  location: string;
  setCookies: string[];
}

/**
 * The browser login: /login starts the code + PKCE flow, /callback finishes it and hands the
 * tokens over (`delivery`: in the URL fragment as the original ZitAuth does, or into a server
 * session), /logout ends the local session (if any) and the Zitadel session.
 *
 * A completed state is claimed in `used` (single use): with a shared store (Redis), a callback
 * replayed on another replica is refused by the gateway itself, not only by the IdP.
 */
export class LoginService {
  constructor(
    private readonly idp: IdpClient,
    private readonly cookies: StateCookies,
    private readonly used: OnceSet,
    private readonly opts: LoginOptions,
    private readonly delivery: TokenDelivery = fragmentDelivery,
  ) {}

  async start(p: { returnTo?: string; prompt?: string; loginHint?: string }): Promise<Redirect> {
    const returnTo = resolveReturnTo(p.returnTo, this.opts.spaOrigin, this.opts.returnToOrigins);
    const state = randomToken();
    const nonce = randomToken();
    const pkce = await generatePkce();
    const url = await this.idp.authorizationUrl({
      scope: this.opts.scopes,
      state,
      nonce,
      codeChallenge: pkce.challenge,
      prompt: p.prompt,
      loginHint: p.loginHint,
    });
    const setCookie = await this.cookies.seal({ state, codeVerifier: pkce.verifier, nonce, returnTo });
    return { location: url.toString(), setCookies: [setCookie] };
  }

  async finish(query: Record<string, string | undefined>, cookieHeader: string | null): Promise<Redirect> {
    const state = query.state;
    if (!state) throw new InvalidState('The callback is missing the state parameter.');
    if (state.length > 512) throw new InvalidState('The state parameter is too long.');
    const login = await this.cookies.open(cookieHeader, state);
    const clear = this.cookies.clear(state);
    // Keyed by a hash: the store never holds a state value, used or not.
    const usedKey = `login-state:${createHash('sha256').update(state).digest('base64url')}`;
    if (!(await this.used.claim(usedKey, this.opts.loginTtlSec * 1000))) {
      throw new InvalidState('This login was already completed. Start the login again.');
    }

    if (query.error) {
      // The IdP refused (e.g. access_denied, login_required): tell the SPA, in its own terms.
      const err = /^[a-z_]{1,64}$/.test(query.error) ? query.error : 'access_denied';
      const frag = new URLSearchParams({ error: err });
      if (query.error_description) frag.set('error_description', query.error_description.slice(0, 200));
      return { location: `${login.returnTo}#${frag}`, setCookies: [clear] };
    }
    if (!query.code) throw new InvalidRequest('The callback is missing the code parameter.');

    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    const tokens = await this.idp.exchangeCode({ callbackParams: params, state, codeVerifier: login.codeVerifier, nonce: login.nonce });
    const delivered = await this.delivery.deliver(tokens, login.returnTo, cookieHeader);
    return { location: delivered.location, setCookies: [clear, ...delivered.setCookies] };
  }

  /**
   * Ends the local session (session mode) and redirects to Zitadel's end_session. The target is
   * checked before anything ends, so a bad `post_logout_redirect_uri` changes nothing.
   */
  async logout(p: {
    idTokenHint?: string;
    postLogoutRedirectUri?: string;
    state?: string;
    cookieHeader?: string | null;
    /**
     * Leave the session's ID token out of the end_session URL: for a URL handed to page scripts
     * (POST /api/v1/session/logout), which must never see a token. Zitadel then ends the
     * browser's own session (its cookie) and still honours the registered redirect for our
     * `client_id` (oidc pkg/op/session.go; zitadel.md "End session").
     */
    withoutHint?: boolean;
  }): Promise<Redirect> {
    const target = this.#logoutTarget(p.postLogoutRedirectUri);
    const local = await this.delivery.logout(p.cookieHeader ?? null);
    const url = await this.idp.endSessionUrl({
      idTokenHint: p.withoutHint ? undefined : (p.idTokenHint ?? local.idTokenHint),
      postLogoutRedirectUri: target,
      state: p.state ?? randomToken(),
    });
    return { location: url.toString(), setCookies: local.setCookies };
  }

  #logoutTarget(given: string | undefined): string {
    const target = given ?? this.opts.postLogoutRedirectUris[0]!;
    if (!this.opts.postLogoutRedirectUris.includes(target)) {
      throw new InvalidRequest('post_logout_redirect_uri is not in the allow-list (ZITAUTH_POST_LOGOUT_REDIRECT_URIS).');
    }
    return target;
  }
}

/** The login service from the configuration: state cookie scoped to the callback path, single-use states. */
export function createLoginService(deps: { config: Config; idp: IdpClient; used: OnceSet; delivery?: TokenDelivery; now?: () => number }): LoginService {
  const { config, idp, now } = deps;
  const cookies = new StateCookies(config.cookieSecret, {
    ttlSec: config.loginTtlSec,
    secure: config.redirectUri.startsWith('https:'),
    path: new URL(config.redirectUri).pathname,
    now,
  });
  return new LoginService(
    idp,
    cookies,
    deps.used,
    {
      scopes: config.loginScopes,
      spaOrigin: config.spaOrigin,
      returnToOrigins: config.returnToOrigins,
      postLogoutRedirectUris: config.postLogoutRedirectUris,
      loginTtlSec: config.loginTtlSec,
    },
    deps.delivery,
  );
}
