/**
 * OpenID Connect Back-Channel Logout 1.0 §2.6: validating a logout token, the IdP's signed note
 * "this user's session ended". Signature, `iss`, `aud` (our client id), `iat` and `exp` are
 * checked like any token of ours (the shared JWT verifier and JWKS); then the logout-specific
 * rules: the back-channel-logout event, a `sid` and/or `sub`, no `nonce` (so an ID token cannot
 * pass as one), and a `jti` used once.
 *
 * Zitadel signs logout tokens with `typ: JWT` (internal/api/oidc/sign/signer.go `WithType("JWT")`,
 * claims from zitadel/oidc pkg/oidc/token.go `NewLogoutTokenClaims`), not the `logout+jwt` the
 * spec recommends (§2.4); both are accepted. An access token cannot pass either: it has no
 * `events` claim.
 *
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation
 */
import { createHash } from 'node:crypto';
import { InvalidRequest, InvalidToken } from '../errors.ts';
import { isJwtShaped } from '../tokens/format.ts';
import type { Claims } from '../tokens/introspection.ts';
import type { JwtVerifier } from '../tokens/verifier.ts';
import type { OnceSet } from '../store/types.ts';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Whose sessions a valid logout token ends. */
export interface LogoutTarget {
  sid?: string | undefined;
  sub?: string | undefined;
}

/**
 * Validates `token`; the target on success, else a 400 {@link InvalidRequest} (§2.8: the RP
 * answers 400 to a logout token it cannot accept) whose detail names the rule for the log.
 */
export async function validateLogoutToken(token: string, deps: { verifier: () => Promise<JwtVerifier>; once: OnceSet; now: () => number }): Promise<LogoutTarget> {
  if (!isJwtShaped(token)) throw refuse('not a JWT');
  let claims: Claims;
  try {
    claims = await (await deps.verifier()).verify(token);
  } catch (err) {
    if (err instanceof InvalidToken) throw refuse(`token: ${err.reason}`);
    throw err; // the IdP's keys could not be loaded: a 5xx, so the IdP retries
  }
  const events = claims.events;
  const event = typeof events === 'object' && events !== null && !Array.isArray(events) ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] : undefined;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw refuse('no back-channel logout event');
  if (claims.nonce !== undefined) throw refuse('a nonce is present (an ID token?)');
  const sid = typeof claims.sid === 'string' && claims.sid !== '' ? claims.sid : undefined;
  const sub = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
  if (sid === undefined && sub === undefined) throw refuse('neither sid nor sub');
  if (typeof claims.iat !== 'number') throw refuse('no iat');
  if (typeof claims.jti !== 'string' || claims.jti === '') throw refuse('no jti');
  // Single use until it expires: a replayed logout token changes nothing and is refused.
  const ttl = Math.max(1000, (claims.exp as number) * 1000 - deps.now());
  const key = `logout-jti:${createHash('sha256').update(`${claims.iss}\n${claims.jti}`).digest('base64url')}`;
  if (!(await deps.once.claim(key, ttl))) throw refuse('jti already used');
  return { sid, sub };
}

const refuse = (why: string) => new InvalidRequest('The logout token is not acceptable.', { detail: `logout token refused: ${why}` });
