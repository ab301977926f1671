import { EncryptJWT, jwtDecrypt } from 'jose';
import { hkdfSync } from 'node:crypto';
import { InvalidState } from '../errors.ts';

/**
 * Login state kept in the browser instead of server memory: an encrypted (A256GCM, `dir`) JWT
 * in an HttpOnly, SameSite=Lax cookie that is scoped to the callback path and lives only as long
 * as a login may take. Consequences that matter in production:
 * - nothing grows on the server per /login, and any replica with the same secret can finish it;
 * - the cookie name carries a digest of `state`, so two logins in two tabs do not overwrite
 *   each other;
 * - the verifier and nonce never leave the gateway unencrypted.
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7 (CSRF protection via state)
 */
export interface LoginState {
  state: string;
  codeVerifier: string;
  nonce: string;
  /** Absolute URL the browser returns to after the callback (already allow-listed). */
  returnTo: string;
}

export const COOKIE_PREFIX = 'zitauth_login_';

export class StateCookies {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly opts: { ttlSec: number; secure: boolean; path: string; now?: () => number },
  ) {
    // Derive a dedicated 256-bit key so the configured secret can be any length >= 32 chars.
    this.key = new Uint8Array(hkdfSync('sha256', secret, 'zitauth', 'login-state-cookie v1', 32));
  }

  /** Name of the cookie for a given state: prefix + a short digest of the state. */
  cookieName(state: string): string {
    const digest = new Bun.CryptoHasher('sha256').update(state).digest('base64url').slice(0, 12);
    return COOKIE_PREFIX + digest;
  }

  /** Seals the state; returns the Set-Cookie header value. */
  async seal(s: LoginState): Promise<string> {
    const now = Math.floor((this.opts.now?.() ?? Date.now()) / 1000);
    const value = await new EncryptJWT({ ...s })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(now)
      .setExpirationTime(now + this.opts.ttlSec)
      .encrypt(this.key);
    return this.serialize(this.cookieName(s.state), value, this.opts.ttlSec);
  }

  /** Set-Cookie value that deletes the state cookie. */
  clear(state: string): string {
    return this.serialize(this.cookieName(state), '', 0);
  }

  /**
   * Opens the cookie belonging to `state`. Any failure (missing, tampered, expired, sealed for
   * another state) is an {@link InvalidState} with a message a user can act on.
   */
  async open(cookieHeader: string | null | undefined, state: string): Promise<LoginState> {
    const value = readCookie(cookieHeader, this.cookieName(state));
    if (!value) {
      throw new InvalidState(
        'No login is in progress for this state: it expired, was already completed, or cookies are blocked. Start the login again.',
      );
    }
    let payload: Record<string, unknown>;
    try {
      const currentDate = this.opts.now ? new Date(this.opts.now()) : undefined;
      ({ payload } = await jwtDecrypt(value, this.key, {
        contentEncryptionAlgorithms: ['A256GCM'],
        keyManagementAlgorithms: ['dir'],
        ...(currentDate ? { currentDate } : {}),
      }));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw new InvalidState('The login took too long and expired. Start the login again.');
      throw new InvalidState('The login state cookie is invalid. Start the login again.', { detail: code });
    }
    if (payload.state !== state) throw new InvalidState('The state parameter does not match this browser’s login.');
    const { codeVerifier, nonce, returnTo } = payload;
    if (typeof codeVerifier !== 'string' || typeof nonce !== 'string' || typeof returnTo !== 'string') {
      throw new InvalidState('The login state cookie is incomplete. Start the login again.');
    }
    return { state, codeVerifier, nonce, returnTo };
  }

  private serialize(name: string, value: string, maxAge: number): string {
    return cookieLine(name, value, { path: this.opts.path, maxAge, secure: this.opts.secure });
  }
}

/** A Set-Cookie value of the gateway's cookies: HttpOnly, SameSite=Lax, Secure unless loopback http. */
export function cookieLine(name: string, value: string, o: { path: string; maxAge: number; secure: boolean }): string {
  const parts = [`${name}=${value}`, `Path=${o.path}`, `Max-Age=${o.maxAge}`, 'HttpOnly', 'SameSite=Lax'];
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Reads one cookie from a Cookie header without decoding (our values are base64url/JWE). */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
