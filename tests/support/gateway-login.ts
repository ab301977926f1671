/**
 * Drives the gateway's browser login over HTTP the way a browser would: /api/v1/login on the
 * gateway, the dev IdP's form, then the gateway's /api/v1/callback. Split in two steps so tests
 * can tamper with the callback (drop the cookie, change the state, replay it, use another replica).
 */
import { DEMO_USER } from '../../src/devidp/index.ts';
import { CookieJar, cookieFetch } from './cookie-fetch.ts';
import { loginWithFetch, type Credentials } from './login.ts';

export const DEMO = { username: DEMO_USER.username, password: DEMO_USER.password };

/** Result of {@link startGatewayLogin}: the callback URL the IdP sent the browser to. */
export interface PendingLogin {
  /** The gateway callback with `code` and `state`, not yet visited. */
  callback: URL;
  /** The browser's jar: holds the gateway's state cookie and the IdP session. */
  jar: CookieJar;
  /** The Cookie header the browser would send to the callback. */
  cookie: string;
}

/**
 * Visits `{gatewayUrl}/api/v1/login{query}` and logs in at the IdP (as the demo user unless
 * `creds` says otherwise); stops before the callback.
 */
export async function startGatewayLogin(
  idp: { issuer: string },
  gatewayUrl: string,
  opts: { jar?: CookieJar; query?: Record<string, string>; creds?: Credentials } = {},
): Promise<PendingLogin> {
  const jar = opts.jar ?? new CookieJar();
  const q = opts.query ? `?${new URLSearchParams(opts.query)}` : '';
  const callback = new URL(await loginWithFetch(idp, `${gatewayUrl}/api/v1/login${q}`, opts.creds ?? DEMO, { jar }));
  return { callback, jar, cookie: jar.header(callback) };
}

/**
 * Visits the callback with the jar's cookies (the browser case), or, without a jar, with an
 * explicit Cookie header (a copied or forged cookie); never follows the redirect.
 */
export async function finishGatewayLogin(p: { callback: URL | string; jar?: CookieJar; cookie?: string }): Promise<Response> {
  if (p.jar === undefined) {
    return fetch(p.callback, { redirect: 'manual', headers: p.cookie ? { cookie: p.cookie } : {} });
  }
  return cookieFetch(p.jar)(p.callback);
}

/** The fragment parameters of a redirect to the SPA (`#access_token=…`). */
export function fragmentOf(res: Response): URLSearchParams {
  const loc = res.headers.get('location') ?? '';
  return new URLSearchParams(new URL(loc).hash.slice(1));
}

/** The whole login; returns the tokens the SPA would receive. */
export async function loginThroughGateway(
  idp: { issuer: string },
  gatewayUrl: string,
  creds?: Credentials,
): Promise<{ access_token: string; id_token: string; expires_in: string; location: string }> {
  const p = await startGatewayLogin(idp, gatewayUrl, { creds });
  const res = await finishGatewayLogin(p);
  if (res.status !== 302) throw new Error(`callback answered ${res.status}`);
  const f = fragmentOf(res);
  return {
    access_token: f.get('access_token') ?? '',
    id_token: f.get('id_token') ?? '',
    expires_in: f.get('expires_in') ?? '',
    location: res.headers.get('location') ?? '',
  };
}

/** GET with a bearer token (or a raw Authorization header value). */
export function bearerGet(url: string, token?: string, init: { raw?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.raw !== undefined) headers.authorization = init.raw;
  else if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(url, { headers });
}

/** Asserts-free helper: parsed JSON body plus the raw text (for leak scans). */
export async function bodyOf(res: Response): Promise<{ json: Record<string, unknown>; text: string }> {
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: callers assert on `text`
  }
  return { json, text };
}
