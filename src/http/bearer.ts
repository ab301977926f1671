import { InvalidRequest } from '../errors.ts';
import { isOpaqueShaped } from '../tokens/format.ts';

/** Larger than any Zitadel token; bigger headers are refused before parsing. */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * Extracts the bearer token from an Authorization header. Tokens are taken from the header only,
 * never from the query string (RFC 6750 §5.3: URLs end up in logs and Referer headers).
 */
export function bearerToken(header: string | null | undefined): string {
  const token = splitBearer(header);
  assertB64Token(token);
  return token;
}

/**
 * {@link bearerToken} without the charset check, for callers that look the token up in a cache of
 * already validated (hence well-formed) tokens first and check the charset only on a miss (with
 * `tokenShape`, throwing {@link malformedBearer}): the regex over a ~1 KB token would be the
 * priciest step of a cache hit.
 */
export function splitBearer(header: string | null | undefined): string {
  if (!header) throw new InvalidRequest('Missing Authorization header (expected "Bearer <token>").', { bearerChallenge: 'bare' });
  if (header.length > MAX_TOKEN_LENGTH + 7) throw new InvalidRequest('The bearer token is too large.', { bearerChallenge: true });
  // The scheme is case-insensitive (RFC 7235 §2.1); the exact spelling is checked first because
  // it is what clients send, and it costs no string copies on every request.
  if (!header.startsWith('Bearer ') && (header.indexOf(' ') !== 6 || header.slice(0, 6).toLowerCase() !== 'bearer')) {
    throw new InvalidRequest('Malformed Authorization header (expected "Bearer <token>").', { bearerChallenge: true });
  }
  return header.slice(7);
}

/** Throws the same InvalidRequest as {@link bearerToken} unless `token` is an RFC 6750 §2.1 b64token. */
export function assertB64Token(token: string): void {
  if (!isOpaqueShaped(token)) throw malformedBearer();
}

/** The 400 for a bearer token outside the RFC 6750 §2.1 b64token alphabet. */
export const malformedBearer = () => new InvalidRequest('Malformed bearer token.', { bearerChallenge: true });
