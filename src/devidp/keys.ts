/**
 * Signing keys of the development IdP, and the key pairs it hands out in Zitadel key files.
 *
 * The keyring is the single source of truth for both the JWKS we publish and the keys oidc-provider
 * signs with: the provider is rebuilt from {@link SigningKeyring.providerJwks} after every rotation,
 * because its keystore is fixed at construction time.
 */
import { generateKeyPair, randomInt, createPublicKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'jose';

const generateRsa = promisify(generateKeyPair);

/** One RSA signing key; `published` is false once it was removed from the JWKS. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  published: boolean;
}

/** Zitadel ids are 18-digit snowflake-like numbers; mimic that so nobody relies on a format we invent. */
export function zitadelId(): string {
  return `${randomInt(100_000_000, 999_999_999)}${randomInt(100_000_000, 999_999_999)}`;
}

/** A fresh RSA-2048 pair; the private half is exported as PKCS#1 PEM like Zitadel's console download. */
export async function rsaKeyPair(): Promise<{ privateKey: KeyObject; publicKey: KeyObject; pkcs1Pem: string }> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const pkcs1Pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return { privateKey, publicKey: createPublicKey(privateKey), pkcs1Pem };
}

export class SigningKeyring {
  readonly #keys: SigningKey[] = [];

  /** Generates a key, makes it the active one (first in the list) and returns its kid. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await rsaKeyPair();
    const key: SigningKey = { kid: zitadelId(), privateKey, publicKey, published: true };
    this.#keys.unshift(key);
    return key.kid;
  }

  /** The key that signs new tokens: the newest one, published or not. */
  active(): SigningKey {
    const key = this.#keys[0];
    if (!key) throw new Error('devidp keyring is empty');
    return key;
  }

  find(kid: string): SigningKey | undefined {
    return this.#keys.find((k) => k.kid === kid);
  }

  /**
   * Retires a key from the JWKS. The active key keeps signing even when unpublished, which lets tests
   * produce "signed by a key the JWKS does not list" tokens on purpose.
   */
  unpublish(kid: string): boolean {
    const key = this.find(kid);
    if (!key) return false;
    key.published = false;
    return true;
  }

  /** Public JWKS as served at /oauth/v2/keys (active first). */
  publicJwks(): { keys: JWK[] } {
    return { keys: this.#keys.filter((k) => k.published).map((k) => toJwk(k, false)) };
  }

  /**
   * Private JWKs for oidc-provider: the active key first, because the provider signs ID tokens with
   * the first matching key. Unpublished non-active keys are left out so nothing signs with them.
   */
  providerJwks(): { keys: JWK[] } {
    const active = this.active();
    return { keys: this.#keys.filter((k) => k === active || k.published).map((k) => toJwk(k, true)) };
  }
}

function toJwk(key: SigningKey, withPrivate: boolean): JWK {
  const jwk = (withPrivate ? key.privateKey : key.publicKey).export({ format: 'jwk' }) as JWK;
  return { ...jwk, kid: key.kid, alg: 'RS256', use: 'sig' };
}
