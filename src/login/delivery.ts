/**
 * How a finished login hands over its tokens. `fragment` (the original ZitAuth, the default): in
 * the URL fragment of the redirect to the SPA — fragments are sent neither to servers nor in
 * Referer headers, but the tokens then live in the page. Session mode (session/delivery.ts) keeps
 * them in the gateway and sets a session cookie instead.
 */
import type { TokenSet } from '../idp/index.ts';

export interface TokenDelivery {
  /** Where the browser goes after the code exchange, and the cookies to set on the way. */
  deliver(tokens: TokenSet, returnTo: string, cookieHeader: string | null): Promise<{ location: string; setCookies: string[] }>;
  /** What /logout does locally first: end the gateway's session, and the ID token it held. */
  logout(cookieHeader: string | null): Promise<{ idTokenHint?: string | undefined; setCookies: string[] }>;
}

export const fragmentDelivery: TokenDelivery = {
  async deliver(tokens, returnTo) {
    const frag = new URLSearchParams({ access_token: tokens.access_token, token_type: 'Bearer' });
    if (tokens.expires_in !== undefined) frag.set('expires_in', String(tokens.expires_in));
    if (tokens.id_token) frag.set('id_token', tokens.id_token);
    if (tokens.scope) frag.set('scope', tokens.scope);
    return { location: `${returnTo}#${frag}`, setCookies: [] };
  },
  async logout() {
    return { setCookies: [] };
  },
};
