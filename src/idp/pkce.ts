import * as oauth from 'oauth4webapi';

/** A fresh PKCE pair (RFC 7636, S256 only — Zitadel supports no other method). */
export async function generatePkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
}

/** 32 random bytes, base64url: used for state and nonce. */
export function randomToken(): string {
  return oauth.generateRandomState();
}
