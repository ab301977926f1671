/**
 * Signs Zitadel-style JWT assertions in tests (service-user jwt-bearer grant, API-app
 * private_key_jwt). Zitadel key files hold PKCS#1 PEM, which jose cannot import, so the key goes
 * through node:crypto first.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

export interface KeyFileLike {
  keyId: string;
  key: string;
}

/**
 * An RS256 assertion with `kid = keyId`, `iss = sub = subject`, `aud = issuer`, 60 s lifetime.
 * `claims` / `header` override anything (set a claim to undefined to drop it).
 */
export async function signAssertion(
  keyFile: KeyFileLike,
  subject: string,
  issuer: string,
  o: { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: subject, sub: subject, aud: issuer, iat: now, exp: now + 60, jti: randomUUID(), ...o.claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: keyFile.keyId, ...o.header })
    .sign(createPrivateKey(o.key ?? keyFile.key));
}

/** Assertion for the service-user key file (`userId` is iss and sub). */
export function serviceUserAssertion(
  keyFile: KeyFileLike & { userId: string },
  issuer: string,
  o?: Parameters<typeof signAssertion>[3],
): Promise<string> {
  return signAssertion(keyFile, keyFile.userId, issuer, o);
}

/** client_assertion for an API-application key file (`clientId` is iss and sub). */
export function clientAssertion(keyFile: KeyFileLike & { clientId: string }, issuer: string, o?: Parameters<typeof signAssertion>[3]): Promise<string> {
  return signAssertion(keyFile, keyFile.clientId, issuer, o);
}
