/**
 * forward-auth `?redirect=login`: where to send a browser that arrived without credentials.
 */
import { resolveReturnTo } from '../../login/return-to.ts';
import { fromHeaderBytes } from '../header-bytes.ts';

/** Where forward-auth may send a browser that arrives without a token (`?redirect=login`). */
export interface BrowserLogin {
  /** The gateway's public login URL, e.g. https://auth.example.com/api/v1/login. */
  loginUrl: string;
  spaOrigin: string;
  /** Origins a login may return to (config.returnToOrigins); the original URL must be one. */
  returnToOrigins: string[];
}

/**
 * The URL the user originally asked the proxy for: `X-Forwarded-Proto/-Host/-Uri` (Traefik,
 * Caddy) or `X-Original-URL` (the nginx example sets it). Undefined when neither is usable.
 * Proxies pass the request line's raw bytes (nginx `$request_uri`): UTF-8 is read as UTF-8
 * (regression: 山田太郎 in a path came back from the login as mojibake).
 */
export function originalUrl(h: Headers): string | undefined {
  const proto = h.get('x-forwarded-proto');
  const host = h.get('x-forwarded-host');
  if (proto && host) {
    const uri = fromHeaderBytes(h.get('x-forwarded-uri') ?? '/');
    return `${proto.split(',')[0]!.trim()}://${host.split(',')[0]!.trim()}${uri.startsWith('/') ? uri : `/${uri}`}`;
  }
  const original = h.get('x-original-url');
  return original === null ? undefined : fromHeaderBytes(original);
}

/**
 * The login redirect for a browser that reached forward-auth without a token, or undefined
 * (then the caller answers 401). Only browsers (Accept: text/html) are redirected — an API
 * client wants the 401 — and only back to an allow-listed origin: the login hands tokens to
 * `return_to`, so an unchecked original URL would be an open redirect for tokens.
 */
export function loginRedirect(h: Headers, login: BrowserLogin): string | undefined {
  if (!(h.get('accept') ?? '').includes('text/html')) return undefined;
  const original = originalUrl(h);
  if (!original) return undefined;
  let returnTo: string;
  try {
    returnTo = resolveReturnTo(original, login.spaOrigin, login.returnToOrigins);
  } catch {
    return undefined;
  }
  const url = new URL(login.loginUrl);
  url.searchParams.set('return_to', returnTo);
  return url.href;
}
