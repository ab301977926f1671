/**
 * Sessions at rest: AES-256-GCM with a key derived from ZITAUTH_COOKIE_SECRET (HKDF-SHA256, its
 * own label, so it is independent of the login-state cookie's key), and the store key as
 * additional data — a blob copied under another session's key does not open. A dump of the
 * store yields neither tokens nor cookies: values are encrypted, keys are hashes of the ids.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SessionCipher {
  readonly #key: Buffer;

  /** `purpose` labels the derived key (HKDF info), so each use of the secret gets its own key. */
  constructor(secret: string, purpose = 'session-store v1') {
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'zitauth', purpose, 32));
  }

  /** `iv | ciphertext | tag`, base64url. */
  seal(storeKey: string, plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(storeKey));
    const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64url');
  }

  /** The plaintext, or undefined when the blob was not sealed under this secret and key. */
  open(storeKey: string, sealed: string): string | undefined {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      d.setAAD(Buffer.from(storeKey));
      d.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([d.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), d.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/** A new session id: 256 random bits, base64url (43 characters) — what the cookie holds. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The store key of a session id (SHA-256, base64url); undefined for anything not shaped like an id. */
export function storeKeyOf(sessionId: string): string | undefined {
  if (!SESSION_ID.test(sessionId)) return undefined;
  return createHash('sha256').update(sessionId).digest('base64url');
}
