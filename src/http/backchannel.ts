/**
 * POST /api/v1/backchannel-logout — Zitadel's back-channel logout calls this when a user's Zitadel
 * session ends (logout there, session terminated by an admin): the matching gateway sessions end
 * at once, on every replica (they share the store). Register it as the app's "Back-Channel Logout
 * URI" (zitauth provision does).
 *
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
import { Elysia, t } from 'elysia';
import type { LogoutTarget } from '../session/logout-token.ts';
import { ErrorBody } from './schemas.ts';

export function backchannelRoutes(deps: {
  validate: (token: string) => Promise<LogoutTarget>;
  /** Ends the matching sessions; returns how many (0 without session mode). */
  end: (target: LogoutTarget) => Promise<number>;
  log: (fields: Record<string, unknown>) => void;
}) {
  return new Elysia({ name: 'zitauth/backchannel' }).post(
    '/api/v1/backchannel-logout',
    async ({ body, set }) => {
      // §2.8: the response must not be cached.
      set.headers['cache-control'] = 'no-store';
      const target = await deps.validate(body.logout_token);
      const ended = await deps.end(target);
      deps.log({ ended, by: target.sid !== undefined ? 'sid' : 'sub' });
      return { logged_out: true as const };
    },
    {
      type: 'application/x-www-form-urlencoded',
      body: t.Object({ logout_token: t.String({ minLength: 1, maxLength: 8192, description: 'The logout token (a JWT signed by Zitadel)' }) }),
      response: {
        200: t.Object({ logged_out: t.Literal(true) }, { description: 'The matching sessions are ended (or there were none)' }),
        400: ErrorBody,
        503: ErrorBody,
      },
      detail: {
        tags: ['Session'],
        summary: 'OIDC back-channel logout (called by Zitadel)',
        description:
          'Validates the logout token (signature, iss, aud = client id, iat/exp, the back-channel logout event, sid/sub, no nonce, single-use jti) and ends the matching sessions on every replica. 400 for a token it cannot accept.',
      },
    },
  );
}
