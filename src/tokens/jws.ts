/**
 * The JWS compact serialization of a JWT, taken apart strictly, and the rules for its protected
 * header. Nothing here touches keys or claims: it yields what key selection and the signature
 * check need, or throws an {@link InvalidToken} with its reason.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1 (compact serialization)
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2 (validating a JWT)
 * @see https://www.rfc-editor.org/rfc/rfc8725 (JWT best current practices)
 */
import { isUtf8 } from 'node:buffer';
import { InvalidToken } from '../errors.ts';
import type { AlgorithmSpec } from './algorithms.ts';
import type { JwtShaped } from './format.ts';

/** A token split at its two dots; the header decoded, the rest still encoded. */
export interface CompactJws {
  /** The protected header, a JSON object. */
  readonly header: Record<string, unknown>;
  /** `BASE64URL(header) "." BASE64URL(payload)`: the bytes the signature covers (ASCII). */
  readonly signingInput: string;
  readonly payloadSegment: string;
  readonly signatureSegment: string;
}

// base64url alphabet value of each ASCII code (RFC 4648 §5), -1 outside it.
const B64URL = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').forEach((c, i) => (B64URL[c.charCodeAt(0)] = i));

/**
 * True when `segment` (already known to use only base64url characters) is the one canonical
 * unpadded base64url text of its bytes: no length that no byte string has (4n+1), and zero
 * unused bits in the last character (RFC 4648 §3.5). RFC 7515 §2 forbids padding. Lenient
 * decoders map several texts to one signature; we accept exactly one, so a valid token has no
 * look-alike twins (each of which would otherwise be a separate cache entry).
 */
export function isCanonicalBase64url(segment: string): boolean {
  const rem = segment.length % 4;
  if (rem === 0) return true;
  if (rem === 1) return false;
  const last = B64URL[segment.charCodeAt(segment.length - 1)] ?? -1;
  return last >= 0 && (last & (rem === 2 ? 0x0f : 0x03)) === 0;
}

// RFC 7515 §4 / RFC 7519 §7.2: header and claims are UTF-8 JSON; invalid UTF-8 is an error, not
// replacement characters. (A leading BOM is skipped, as RFC 8259 §8.1 allows a parser to.)
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Index of the first byte after a UTF-8 BOM and JSON whitespace (RFC 8259 §2). */
function firstSignificant(b: Uint8Array): number {
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d) i++;
  return i;
}

/** Decodes a canonical base64url segment holding a UTF-8 JSON object (RFC 7515 §5.2 steps 2–4). */
export function decodeJsonObject(segment: string, what: 'header' | 'claims'): Record<string, unknown> {
  if (!isCanonicalBase64url(segment)) throw new InvalidToken('malformed', { detail: `${what} is not canonical base64url` });
  const bytes = Buffer.from(segment, 'base64url');
  // Junk is refused before the decoder and the parser see it: their exceptions cost more than the
  // checks (docs/benchmarks.md, junk tokens). A JSON object starts with `{` (after a BOM, which the
  // decoder drops, and whitespace, RFC 8259 §2) and is UTF-8.
  if (bytes[firstSignificant(bytes)] !== 0x7b || !isUtf8(bytes)) throw new InvalidToken('malformed', { detail: `${what} is not UTF-8 JSON` });
  let value: unknown;
  try {
    // Duplicate member names: JSON.parse keeps the last one, which RFC 7515 §5.2 and RFC 7519 §4 allow.
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new InvalidToken('malformed', { detail: `${what} is not UTF-8 JSON` });
  }
  // RFC 7515 §5.2 step 4 / RFC 7519 §7.2 step 10: a JSON object, not an array or a scalar.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidToken('malformed', { detail: `${what} is not a JSON object` });
  }
  return value as Record<string, unknown>;
}

/** Splits a JWT-shaped token and decodes its header; the payload stays encoded until the signature holds. */
export function splitCompact(token: JwtShaped): CompactJws {
  // The brand guarantees exactly three non-empty base64url segments.
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  const signatureSegment = token.slice(dot2 + 1);
  if (!isCanonicalBase64url(signatureSegment)) throw new InvalidToken('malformed', { detail: 'signature is not canonical base64url' });
  return {
    header: decodeJsonObject(token.slice(0, dot1), 'header'),
    signingInput: token.slice(0, dot2),
    payloadSegment: token.slice(dot1 + 1, dot2),
    signatureSegment,
  };
}

/** What the header rules let through: the algorithm and the key id to select a key with. */
export interface HeaderVerdict {
  readonly alg: AlgorithmSpec;
  readonly kid: string | undefined;
}

/**
 * Applies the protected-header rules. `algorithms`: the allow-list, by name. `types`: accepted
 * `typ` values, normalized by {@link normalizeTyp}.
 *
 * - `alg` must be named by the allow-list (RFC 8725 §3.1; RFC 7515 §4.1.1). `none` and `HS*`
 *   never are (see algorithms.ts).
 * - `crit`: we implement no extension, so any `crit` is refused (RFC 7515 §4.1.11: a recipient
 *   that does not understand a listed extension MUST reject the JWS).
 * - `b64`: only its default `true` is accepted. `false` means an unencoded payload (RFC 7797 §3),
 *   which a JWT must not use (RFC 7797 §7); a `b64` without `crit` is non-conforming too.
 * - `typ`, when present, must be an access-token type: `JWT` (Zitadel) or `at+jwt` (RFC 9068
 *   §2.1), compared case-insensitively with an optional `application/` prefix (RFC 7515 §4.1.9).
 *   Absent is fine (RFC 7519 §5.1 makes it optional).
 * - `kid`, when present, must be a string (RFC 7515 §4.1.4).
 * - `jwk`, `jku`, `x5u`, `x5c`, `x5t`, `x5t#S256` are never read: keys come only from the IdP's
 *   JWKS, so a token cannot bring its own key (RFC 8725 §3.10).
 */
export function checkHeader(
  header: Record<string, unknown>,
  algorithms: ReadonlyMap<string, AlgorithmSpec>,
  types: ReadonlySet<string>,
): HeaderVerdict {
  const alg = typeof header.alg === 'string' ? algorithms.get(header.alg) : undefined;
  if (alg === undefined) throw new InvalidToken('algorithm', { detail: typeof header.alg === 'string' ? 'alg not in the allow-list' : 'alg missing or not a string' });
  if (header.crit !== undefined) throw new InvalidToken('header', { detail: 'crit names an extension we do not implement' });
  if (header.b64 !== undefined && header.b64 !== true) throw new InvalidToken('header', { detail: 'b64 other than true (unencoded payload)' });
  const typ = header.typ;
  if (typ !== undefined && (typeof typ !== 'string' || !types.has(normalizeTyp(typ)))) {
    throw new InvalidToken('type', { detail: typeof typ === 'string' ? 'typ is not an access-token type' : 'typ is not a string' });
  }
  const kid = header.kid;
  if (kid !== undefined && typeof kid !== 'string') throw new InvalidToken('malformed', { detail: 'kid is not a string' });
  return { alg, kid };
}

/** `typ` compared as RFC 7515 §4.1.9 asks: case-insensitively, `application/` optional. */
export function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}
