/**
 * Session mode's {@link TokenDelivery}: the tokens go into a new server-side session, the browser
 * gets the session cookie and returns to `return_to` with nothing in the URL. /logout ends that
 * session first and uses its ID token as `id_token_hint`, so the page never needs the ID token.
 */
import type { TokenDelivery } from '../login/delivery.ts';
import type { SessionService } from './service.ts';

export function sessionDelivery(sessions: SessionService): TokenDelivery {
  return {
    async deliver(tokens, returnTo, cookieHeader) {
      return { location: returnTo, setCookies: [await sessions.create(tokens, cookieHeader)] };
    },
    async logout(cookieHeader) {
      const ended = await sessions.endByCookie(cookieHeader);
      return { idTokenHint: ended?.idToken, setCookies: [sessions.cookie.clear()] };
    },
  };
}
