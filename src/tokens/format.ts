/**
 * Cheap, crypto-free shape checks run before anything else touches a bearer token, so that junk
 * (oversized headers, binary noise, wrong charset) is rejected for the price of a regex.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1 (b64token syntax)
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1 (JWS compact serialization)
 */
import { InvalidToken } from '../errors.ts';

/** Default upper bound for a token's length; Zitadel JWTs are ~1 KB, 8 KB leaves ample room. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

// Three non-empty base64url segments. The signature must be non-empty too: an empty one can only
// belong to `alg: none`, which we never accept.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const OPAQUE_SHAPE = /^[A-Za-z0-9\-._~+/]+=*$/;

declare const jwtShaped: unique symbol;
declare const opaqueShaped: unique symbol;

/**
 * A string already matched against the compact JWS shape (three non-empty base64url segments).
 * Only {@link isJwtShaped} produces it, so a function taking `JwtShaped` states in its type that
 * the scan was done (style habit 14) instead of trusting a `shapeChecked` flag.
 */
export type JwtShaped = string & { readonly [jwtShaped]: true };

/** A string already matched against the RFC 6750 `b64token` alphabet; see {@link isOpaqueShaped}. */
export type OpaqueShaped = string & { readonly [opaqueShaped]: true };

/** True when `token` looks like a compact JWS (three base64url segments). No decoding happens. */
export function isJwtShaped(token: string): token is JwtShaped {
  return JWT_SHAPE.test(token);
}

/** True when `token` only uses the RFC 6750 `b64token` alphabet (what an opaque token may contain). */
export function isOpaqueShaped(token: string): token is OpaqueShaped {
  return OPAQUE_SHAPE.test(token);
}

/** What kind of token a string is, judged from its shape alone. */
export type TokenKind = 'jwt' | 'opaque';

/**
 * The kind of `token` from one pass over it (for a JWT), or undefined when it is neither shape.
 * No length check: callers bound the length first.
 */
export function tokenShape(token: string): TokenKind | undefined {
  if (JWT_SHAPE.test(token)) return 'jwt';
  if (OPAQUE_SHAPE.test(token)) return 'opaque';
  return undefined;
}

/**
 * Throws {@link InvalidToken} `malformed` for an empty token and `too_large` for one longer than
 * `maxLength` (UTF-16 code units). Runs before any regex, so no scan ever covers a huge input.
 */
export function checkLength(token: string, maxLength: number = DEFAULT_MAX_TOKEN_LENGTH): void {
  if (token.length === 0) throw new InvalidToken('malformed', { detail: 'empty token' });
  if (token.length > maxLength) throw new InvalidToken('too_large', { detail: `length ${token.length} > ${maxLength}` });
}

/**
 * Classifies a token or throws {@link InvalidToken} (`malformed` / `too_large`). The thrown
 * descriptions never echo the token.
 *
 * @param maxLength longest accepted token, in UTF-16 code units (defaults to {@link DEFAULT_MAX_TOKEN_LENGTH})
 */
export function classifyToken(token: string, maxLength: number = DEFAULT_MAX_TOKEN_LENGTH): TokenKind {
  checkLength(token, maxLength);
  const kind = tokenShape(token);
  if (kind === undefined) throw new InvalidToken('malformed', { detail: 'characters outside the b64token alphabet' });
  return kind;
}
