/**
 * JWT assertions signed with a Zitadel key: the `assertion` of the JWT bearer grant (RFC 7523 §2.1)
 * and the `client_assertion` of private_key_jwt client authentication (RFC 7523 §2.2). Zitadel
 * wants RS256, `kid` = the key file's keyId, `iss` = `sub` = userId/clientId, and `aud` equal to
 * the issuer string exactly (not the token endpoint, no trailing slash).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
import { SignJWT } from 'jose';

/** Input of {@link signAssertion}. */
export interface AssertionInput {
  privateKey: CryptoKey;
  /** The key file's `keyId`, sent as header `kid`. */
  keyId: string;
  /** userId (service user) or clientId (application); used as both `iss` and `sub`. */
  subject: string;
  /** The IdP's issuer URL, exactly as in its discovery document. */
  audience: string;
  /** Seconds until `exp`. Default 60: the assertion is used once, right away. */
  lifetimeSec?: number;
  /** Clock in epoch milliseconds (injected for tests). */
  now?: () => number;
}

/** Signs an RS256 assertion with claims iss, sub, aud, iat, exp and a random jti. */
export async function signAssertion(input: AssertionInput): Promise<string> {
  const iat = Math.floor((input.now ?? Date.now)() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: input.keyId })
    .setIssuer(input.subject)
    .setSubject(input.subject)
    .setAudience(input.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (input.lifetimeSec ?? 60))
    // A fresh jti lets the IdP detect replays.
    .setJti(crypto.randomUUID())
    .sign(input.privateKey);
}
