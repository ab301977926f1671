/** Client-side OIDC helpers for tests talking to the dev IdP directly (PKCE, authorize URL, code exchange). */
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The dev IdP's authorize URL for the public PKCE client. */
export function authorizeUrl(
  idp: { issuer: string; clientId: string },
  p: { redirectUri: string; challenge: string; state: string; nonce?: string; scope?: string; extra?: Record<string, string> },
): string {
  const url = new URL('/oauth/v2/authorize', idp.issuer);
  url.search = new URLSearchParams({
    client_id: idp.clientId,
    redirect_uri: p.redirectUri,
    response_type: 'code',
    scope: p.scope ?? 'openid profile email',
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
    state: p.state,
    ...(p.nonce ? { nonce: p.nonce } : {}),
    ...p.extra,
  }).toString();
  return url.href;
}

/** POSTs the authorization_code grant; returns the raw response. */
export function exchangeCode(
  idp: { issuer: string; clientId: string },
  p: { code: string; redirectUri: string; verifier?: string },
): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: p.code,
    redirect_uri: p.redirectUri,
    client_id: idp.clientId,
    ...(p.verifier ? { code_verifier: p.verifier } : {}),
  });
  return fetch(new URL('/oauth/v2/token', idp.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}
