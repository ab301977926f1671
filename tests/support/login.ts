/**
 * Drives the dev IdP's browser login with fetch: follow redirects by hand, fill the login form,
 * stop at the first redirect that leaves the IdP (normally the app's callback with code and state).
 */
import { CookieJar, cookieFetch, redirectTarget } from './cookie-fetch.ts';

export interface Credentials {
  username: string;
  password: string;
}

/** Thrown when the IdP shows the login form again after submitting credentials. */
export class LoginRejected extends Error {}

const formAction = (html: string) => html.match(/<form[^>]*method="post"[^>]*action="([^"]+)"/i)?.[1]?.replace(/&amp;/g, '&');
const isLoginForm = (html: string) => /<input[^>]*name="username"/i.test(html) && /<input[^>]*name="password"/i.test(html);

/**
 * Starts at `authorizeUrl` (the IdP's /oauth/v2/authorize, or any URL that redirects there, e.g. a
 * gateway's login route) and returns the URL the IdP finally redirects to outside itself. Pass a
 * `jar` to keep the IdP session (SSO, logout tests) or to carry a gateway's state cookie.
 */
export async function loginWithFetch(
  idp: { issuer: string },
  authorizeUrl: string,
  creds: Credentials,
  opts: { jar?: CookieJar; maxHops?: number } = {},
): Promise<string> {
  const jar = opts.jar ?? new CookieJar();
  const f = cookieFetch(jar);
  const idpOrigin = new URL(idp.issuer).origin;
  let url = new URL(authorizeUrl);
  let init: RequestInit = {};
  let visitedIdp = url.origin === idpOrigin;
  let submitted = false;

  for (let hop = 0; hop < (opts.maxHops ?? 20); hop++) {
    const res = await f(url, init);
    init = {};
    const next = redirectTarget(res, url);
    if (next) {
      if (visitedIdp && next.origin !== idpOrigin) return next.href;
      visitedIdp ||= next.origin === idpOrigin;
      url = next;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200 || !isLoginForm(html)) {
      throw new Error(`login flow stopped at ${url.pathname} with HTTP ${res.status}`);
    }
    if (submitted) throw new LoginRejected('the IdP rejected the credentials');
    const action = formAction(html);
    if (!action) throw new Error('login form without action');
    url = new URL(action, url);
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: creds.username, password: creds.password }).toString(),
    };
    submitted = true;
  }
  throw new Error('too many redirects in login flow');
}
