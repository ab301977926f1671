/**
 * Plain-fetch clients of the dev IdP's endpoints for the dev IdP's own tests: a full code + PKCE
 * login, introspection as the API app, the JWT-profile grant, refresh, end_session.
 */
import { expect } from 'bun:test';
import type { DevIdp } from '../../src/devidp/index.ts';
import type { CookieJar } from './cookie-fetch.ts';
import { loginWithFetch, type Credentials } from './login.ts';
import { authorizeUrl, exchangeCode, pkce } from './oidc.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A response's JSON body as a record. */
export const body = async (res: Response) => (await res.json()) as Record<string, unknown>;

/** A form-encoded POST init. */
export const form = (o: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(o).toString(),
});

/** Full code + PKCE login; returns the parsed token response (asserts HTTP 200). */
export async function codeLogin(
  idp: DevIdp,
  o: { redirectUri: string; creds: Credentials; scope?: string; jar?: CookieJar; nonce?: string },
): Promise<Record<string, unknown>> {
  const p = pkce();
  const state = 'st-1';
  const url = authorizeUrl(idp, { redirectUri: o.redirectUri, challenge: p.challenge, state, nonce: o.nonce ?? 'n-1', scope: o.scope });
  const cb = new URL(await loginWithFetch(idp, url, o.creds, { jar: o.jar }));
  expect(cb.origin + cb.pathname).toBe(o.redirectUri);
  expect(cb.searchParams.get('state')).toBe(state);
  const res = await exchangeCode(idp, { code: cb.searchParams.get('code') ?? '', redirectUri: o.redirectUri, verifier: p.verifier });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** Basic credentials, form-encoded first as RFC 6749 §2.3.1 asks. */
export const basic = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

/** Introspects `token` as the API app with its client secret. */
export function introspect(idp: DevIdp, token: string): Promise<Response> {
  return fetch(`${idp.issuer}/oauth/v2/introspect`, form({ token }, { authorization: basic(idp.apiApp.clientId, idp.apiApp.clientSecret) }));
}

/** The JWT-profile grant with `assertion` and `scope` (omitted when undefined). */
export function jwtBearer(idp: DevIdp, assertion: string, scope?: string): Promise<Response> {
  return fetch(`${idp.issuer}/oauth/v2/token`, form({ grant_type: JWT_BEARER, assertion, ...(scope === undefined ? {} : { scope }) }));
}

/** The refresh_token grant of the public SPA client. */
export function refresh(idp: DevIdp, refreshToken: string): Promise<Response> {
  return fetch(`${idp.issuer}/oauth/v2/token`, form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: idp.clientId }));
}

/** The end_session URL with the given parameters. */
export function endSessionUrl(idp: DevIdp, params: Record<string, string>): string {
  const url = new URL(`${idp.issuer}/oidc/v1/end_session`);
  url.search = new URLSearchParams(params).toString();
  return url.href;
}
