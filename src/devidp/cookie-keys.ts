/**
 * Signing of oidc-provider's cookies (session, interaction) without `keygrip`.
 *
 * Koa's cookie layer builds a `keygrip` from an array of keys; keygrip compares signatures through
 * `tsscmp`, which calls `crypto.pseudoRandomBytes` — deprecated (DEP0115), and Bun prints the
 * deprecation notice on the first signed-cookie check, i.e. the first login of every `zitauth dev`.
 * oidc-provider accepts a KeyGrip-shaped object instead of the array (`cookies.keys`), so we hand it
 * this one: HMAC-SHA256, base64url, constant-time comparison from node:crypto.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export class CookieKeys {
  readonly #keys: readonly string[];

  /** The first key signs; all of them verify (prepend a new key to rotate). */
  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('CookieKeys needs at least one key');
    this.#keys = keys;
  }

  sign(data: unknown): string {
    return mac(String(data), this.#keys[0]!);
  }

  verify(data: unknown, digest: string): boolean {
    return this.index(data, digest) > -1;
  }

  /** Index of the key that made `digest`, or -1. */
  index(data: unknown, digest: string): number {
    const given = Buffer.from(String(digest));
    for (let i = 0; i < this.#keys.length; i++) {
      const want = Buffer.from(mac(String(data), this.#keys[i]!));
      if (want.length === given.length && timingSafeEqual(want, given)) return i;
    }
    return -1;
  }
}

const mac = (data: string, key: string) => createHmac('sha256', key).update(data).digest('base64url');
