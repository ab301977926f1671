import { InvalidRequest } from '../errors.ts';

/** RFC 6750 §2.1 b64token charset; anything else is malformed before any crypto runs. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Larger than any Zitadel token; bigger headers are refused before parsing. */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * Extracts the bearer token from an Authorization header. Tokens are taken from the header only,
 * never from the query string (RFC 6750 §5.3: URLs end up in logs and Referer headers).
 */
export function bearerToken(header: string | null | undefined): string {
  if (!header) throw new InvalidRequest('Missing Authorization header (expected "Bearer <token>").', { bearerChallenge: true });
  if (header.length > MAX_TOKEN_LENGTH + 7) throw new InvalidRequest('The bearer token is too large.', { bearerChallenge: true });
  const space = header.indexOf(' ');
  if (space !== 6 || header.slice(0, 6).toLowerCase() !== 'bearer') {
    throw new InvalidRequest('Malformed Authorization header (expected "Bearer <token>").', { bearerChallenge: true });
  }
  const token = header.slice(7);
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequest('Malformed bearer token.', { bearerChallenge: true });
  }
  return token;
}
