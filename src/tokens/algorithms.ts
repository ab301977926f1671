/**
 * The JWS signature algorithms a token may name, what key each needs, and the signature check
 * itself through `node:crypto` with a prepared `KeyObject` (see docs/benchmarks.md for why not
 * WebCrypto or jose here).
 *
 * Only asymmetric algorithms exist in this table: `none` and `HS*` cannot be configured, so a
 * public key can never be misused as an HMAC secret (RFC 8725 §2.1, §3.1).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3 (RS*, PS*, ES*)
 * @see https://www.rfc-editor.org/rfc/rfc8037#section-3.1 (EdDSA)
 * @see https://www.rfc-editor.org/rfc/rfc9864 (Ed25519 as a fully specified algorithm)
 */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';

/** Key type, curve and hash an algorithm needs. */
export interface AlgorithmSpec {
  readonly name: SupportedAlgorithm;
  /** JWK `kty` the key must have (RFC 7518 §6.1). */
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** JWK `crv` the key must have: ES256 ↔ P-256 etc. (RFC 7518 §3.4), EdDSA ↔ Ed25519 only. */
  readonly crv: 'P-256' | 'P-384' | 'P-521' | 'Ed25519' | undefined;
  /** Digest for node:crypto; null for EdDSA, which hashes internally. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** RSASSA-PSS salt length: the hash length in bytes (RFC 7518 §3.5). */
  readonly pssSaltLength: number | undefined;
  /**
   * Exact signature length in bytes where the algorithm fixes it: ECDSA's R‖S (RFC 7518 §3.4),
   * Ed25519's 64 bytes (RFC 8032 §5.1.6). RSA signatures are as long as the modulus.
   */
  readonly signatureLength: number | undefined;
}

/** Every algorithm the allow-list may name (`ZITAUTH_ALLOWED_ALGS`). */
export const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export type SupportedAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const rsa = (name: SupportedAlgorithm, bits: 256 | 384 | 512, pss: boolean): AlgorithmSpec => ({
  name,
  kty: 'RSA',
  crv: undefined,
  hash: `sha${bits}`,
  pssSaltLength: pss ? bits / 8 : undefined,
  signatureLength: undefined,
});
const ecdsa = (name: SupportedAlgorithm, crv: 'P-256' | 'P-384' | 'P-521', bits: 256 | 384 | 512, coordBytes: number): AlgorithmSpec => ({
  name,
  kty: 'EC',
  crv,
  hash: `sha${bits}`,
  pssSaltLength: undefined,
  signatureLength: 2 * coordBytes,
});
const ed25519 = (name: SupportedAlgorithm): AlgorithmSpec => ({ name, kty: 'OKP', crv: 'Ed25519', hash: null, pssSaltLength: undefined, signatureLength: 64 });

const TABLE: Readonly<Record<SupportedAlgorithm, AlgorithmSpec>> = {
  RS256: rsa('RS256', 256, false),
  RS384: rsa('RS384', 384, false),
  RS512: rsa('RS512', 512, false),
  PS256: rsa('PS256', 256, true),
  PS384: rsa('PS384', 384, true),
  PS512: rsa('PS512', 512, true),
  ES256: ecdsa('ES256', 'P-256', 256, 32),
  ES384: ecdsa('ES384', 'P-384', 384, 48),
  // P-521 coordinates are 521 bits, i.e. 66 bytes each.
  ES512: ecdsa('ES512', 'P-521', 512, 66),
  EdDSA: ed25519('EdDSA'),
  Ed25519: ed25519('Ed25519'),
};

/** The spec of `alg`, or undefined when it is not a supported asymmetric JWS algorithm. */
export function algorithmSpec(alg: string): AlgorithmSpec | undefined {
  return Object.hasOwn(TABLE, alg) ? TABLE[alg as SupportedAlgorithm] : undefined;
}

/** RSA keys shorter than this are refused (RFC 7518 §3.3 and §3.5: "2048 bits or larger"). */
export const MIN_RSA_BITS = 2048;

/**
 * Checks `signature` over `signingInput` (the ASCII `header.payload` of the token) with `key`.
 * Never throws: a signature node:crypto cannot even parse is just a bad signature.
 */
export function verifySignature(spec: AlgorithmSpec, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  const data = Buffer.from(signingInput, 'latin1');
  try {
    switch (spec.kty) {
      case 'RSA':
        return spec.pssSaltLength === undefined
          ? cryptoVerify(spec.hash, data, key, signature)
          : cryptoVerify(spec.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pssSaltLength }, signature);
      case 'EC':
        // JWS carries R‖S (IEEE P1363), not the DER that node:crypto expects by default.
        return cryptoVerify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'OKP':
        return cryptoVerify(null, data, key, signature);
    }
  } catch {
    return false;
  }
}
