/**
 * Which audiences /validate accepts — a pure function of the configuration and the token.
 *
 * - `ZITAUTH_AUDIENCE`, else `ZITAUTH_PROJECT_ID`, pins it: `aud` must name one of them.
 * - With neither (an original ZitAuth `.env`), the client id is accepted, and so are the gateway's
 *   own service user's tokens, so the original's M2M → protected API flow keeps working while
 *   foreign tokens are still refused. Such a token has `sub = userId` and, minted without the
 *   project audience scope, `aud = [username]` with `client_id = username` on current Zitadel
 *   (the JWT profile grant's client is the username: internal/api/oidc/token_jwt_profile.go;
 *   zitadel/oidc pkg/oidc/token.go `NewAccessTokenClaims` puts the client id into an empty aud),
 *   or `aud = [userId]` on Zitadel before v2.62. The key file holds no username, so the rule keys
 *   on `sub` and accepts a token whose `aud` is its own client or the service user's id.
 */
import type { Claims } from './introspection.ts';

/** The configured part: the accepted audiences, and whose tokens count as the gateway's own. */
export interface AudienceRule {
  /** `aud` naming any of these is accepted. */
  audiences: readonly string[];
  /** Set only for an original `.env` (no audience, no project): the service user's id. */
  ownServiceUserId?: string | undefined;
}

/** The rule for a configuration; `serviceUserId` from the key file, if any. */
export function audienceRule(
  config: { audience: readonly string[]; audienceDefaulted: boolean; projectId: string | undefined },
  serviceUserId: string | undefined,
): AudienceRule {
  const pinned = !config.audienceDefaulted || config.projectId !== undefined;
  return pinned || serviceUserId === undefined ? { audiences: config.audience } : { audiences: config.audience, ownServiceUserId: serviceUserId };
}

/** True when a token with audience list `aud` and these claims is acceptable under `rule`. */
export function acceptsAudience(rule: AudienceRule, aud: readonly string[], claims: Claims): boolean {
  for (const a of aud) if (rule.audiences.includes(a)) return true;
  const own = rule.ownServiceUserId;
  if (own === undefined || claims.sub !== own) return false;
  const client = claims.client_id;
  return aud.includes(own) || (typeof client === 'string' && aud.includes(client));
}
