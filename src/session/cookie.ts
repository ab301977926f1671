/**
 * The session cookie: only a random id (256 bits), never a token.
 * - `__Host-` prefix, `Secure`, `Path=/`, no `Domain` (OAuth 2.0 for Browser-Based Applications
 *   draft §6.1.3.2): only this exact origin, over https, can set or read it. For a plain-http
 *   loopback origin (development only) the prefix and `Secure` are dropped — browsers refuse both
 *   there.
 * - `HttpOnly`: page scripts cannot read it.
 * - `SameSite=Lax`, not `Strict`: after the login the browser arrives from Zitadel (another site);
 *   with Strict the cookie would be withheld on that navigation and on any link from another
 *   site, so a server-rendered app behind forward-auth would send the user back to the login in a
 *   loop. Lax withholds it from cross-site subrequests and POSTs, and the proxy and session routes
 *   additionally demand `X-CSRF: 1` and an allowed Origin (csrf.ts).
 * - Max-Age = the session's absolute lifetime; the server ends idle sessions itself.
 */
import { cookieLine, readCookie } from '../login/state-cookie.ts';

/** The session cookie's names: with `__Host-` on https, without on plain-http loopback. */
export const SESSION_COOKIE_NAMES = { secure: '__Host-zitauth_session', loopback: 'zitauth_session' } as const;

export class SessionCookie {
  readonly name: string;

  constructor(private readonly opts: { secure: boolean; maxAgeSec: number }) {
    this.name = opts.secure ? SESSION_COOKIE_NAMES.secure : SESSION_COOKIE_NAMES.loopback;
  }

  /** The session id in the request's Cookie header, if any. */
  read(cookieHeader: string | null | undefined): string | undefined {
    return readCookie(cookieHeader, this.name);
  }

  set(sessionId: string): string {
    return this.#serialize(sessionId, this.opts.maxAgeSec);
  }

  clear(): string {
    return this.#serialize('', 0);
  }

  #serialize(value: string, maxAge: number): string {
    return cookieLine(this.name, value, { path: '/', maxAge, secure: this.opts.secure });
  }
}
