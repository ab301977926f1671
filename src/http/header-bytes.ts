/**
 * Non-ASCII text in HTTP header values, both ways. A Fetch `Headers` value is a ByteString: one
 * character per byte (latin1). nginx and oauth2-proxy pass UTF-8 bytes through headers as they
 * are (identity headers, `$request_uri` in X-Original-URL / X-Forwarded-Uri), so text goes out as
 * its UTF-8 bytes spelled one latin1 character each, and comes in read back the same way.
 */

const ASCII = /^[\x00-\x7f]*$/;

/** `text` as a header value carrying its UTF-8 bytes (ASCII unchanged). */
export function toHeaderBytes(text: string): string {
  return ASCII.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * A header value read as the UTF-8 bytes it carries; unchanged when it is ASCII or the bytes are
 * not valid UTF-8 (then they were meant as latin1).
 */
export function fromHeaderBytes(value: string): string {
  if (ASCII.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}
