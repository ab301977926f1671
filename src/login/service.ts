import type { Config } from '../config/index.ts';
import type { IdpClient } from '../idp/index.ts';
import { generatePkce, randomToken } from '../idp/index.ts';
import { InvalidRequest, InvalidState } from '../errors.ts';
import { StateCookies } from './state-cookie.ts';
import { UsedStates } from './used-states.ts';
import { resolveReturnTo } from './return-to.ts';

export interface LoginOptions {
  scopes: string;
  spaOrigin: string;
  returnToOrigins: string[];
  postLogoutRedirectUris: string[];
}

/** A redirect the HTTP layer turns into a 302, with cookies to set. */
export interface Redirect {
  location: string;
  setCookie?: string;
}

/**
 * The browser login: /login starts the code + PKCE flow, /callback finishes it and hands the
 * tokens to the SPA in the URL fragment (as the original ZitAuth does; fragments are not sent
 * to servers or in Referer headers), /logout ends the Zitadel session.
 */
export class LoginService {
  constructor(
    private readonly idp: IdpClient,
    private readonly cookies: StateCookies,
    private readonly used: UsedStates,
    private readonly opts: LoginOptions,
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
    return { location: url.toString(), setCookie };
  }

  async finish(query: Record<string, string | undefined>, cookieHeader: string | null): Promise<Redirect> {
    const state = query.state;
    if (!state) throw new InvalidState('The callback is missing the state parameter.');
    if (state.length > 512) throw new InvalidState('The state parameter is too long.');
    const login = await this.cookies.open(cookieHeader, state);
    const clear = this.cookies.clear(state);
    if (!this.used.use(state)) throw new InvalidState('This login was already completed. Start the login again.');

    if (query.error) {
      // The IdP refused (e.g. access_denied, login_required): tell the SPA, in its own terms.
      const err = /^[a-z_]{1,64}$/.test(query.error) ? query.error : 'access_denied';
      const frag = new URLSearchParams({ error: err });
      if (query.error_description) frag.set('error_description', query.error_description.slice(0, 200));
      return { location: `${login.returnTo}#${frag}`, setCookie: clear };
    }
    if (!query.code) throw new InvalidRequest('The callback is missing the code parameter.');

    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    const tokens = await this.idp.exchangeCode({ callbackParams: params, state, codeVerifier: login.codeVerifier, nonce: login.nonce });
    const frag = new URLSearchParams({ access_token: tokens.access_token, token_type: 'Bearer' });
    if (tokens.expires_in !== undefined) frag.set('expires_in', String(tokens.expires_in));
    if (tokens.id_token) frag.set('id_token', tokens.id_token);
    if (tokens.scope) frag.set('scope', tokens.scope);
    return { location: `${login.returnTo}#${frag}`, setCookie: clear };
  }

  async logout(p: { idTokenHint?: string; postLogoutRedirectUri?: string; state?: string }): Promise<Redirect> {
    const target = p.postLogoutRedirectUri ?? this.opts.postLogoutRedirectUris[0]!;
    if (!this.opts.postLogoutRedirectUris.includes(target)) {
      throw new InvalidRequest('post_logout_redirect_uri is not in the allow-list (ZITAUTH_POST_LOGOUT_REDIRECT_URIS).');
    }
    const url = await this.idp.endSessionUrl({
      idTokenHint: p.idTokenHint,
      postLogoutRedirectUri: target,
      state: p.state ?? randomToken(),
    });
    return { location: url.toString() };
  }
}

/** The login service from the configuration: state cookie scoped to the callback path, single-use states. */
export function createLoginService(deps: { config: Config; idp: IdpClient; now?: () => number }): LoginService {
  const { config, idp, now } = deps;
  const cookies = new StateCookies(config.cookieSecret, {
    ttlSec: config.loginTtlSec,
    secure: config.redirectUri.startsWith('https:'),
    path: new URL(config.redirectUri).pathname,
    now,
  });
  const used = new UsedStates({ ttlMs: config.loginTtlSec * 1000, max: 100_000, now });
  return new LoginService(idp, cookies, used, {
    scopes: config.loginScopes,
    spaOrigin: config.spaOrigin,
    returnToOrigins: config.returnToOrigins,
    postLogoutRedirectUris: config.postLogoutRedirectUris,
  });
}
