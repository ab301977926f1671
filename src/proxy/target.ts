/**
 * Where a proxied request goes: `/api/v1/proxy/{name}/{rest}?{query}` → the upstream's base
 * path + `rest`, query unchanged — and never anywhere outside the base path.
 *
 * The path travels *raw* (still percent-encoded) from the browser's request line to the
 * upstream's: decoding and re-encoding would change bytes the upstream may sign or route on
 * (`%2B` vs `+`, NFC vs NFD), and a decoded path cannot tell `a%2Fb` (one segment) from `a/b`.
 * Take it from `request.url` with {@link proxyPathParts}, not from a router's decoded params.
 *
 * What is refused, and why: a path the upstream could resolve above the base path. Front-end
 * and back-end disagreeing on what a path means is the classic proxy bypass ("Breaking Parser
 * Logic", Orange Tsai, Black Hat 2018), so the rule is judged by the most liberal reading any
 * upstream might apply, not by WHATWG URL's:
 * - dot segments `.`/`..`, raw or percent-encoded in any case (`%2e%2e`, `%2E.`), with Tomcat-style
 *   path parameters (`..;x`), in Unicode compatibility forms (`．．`, `‥`, normalised NFKC), or
 *   made of dots and spaces only (Windows strips trailing dots and spaces);
 * - a `/` or `\` that is not a separator: `%2F`, `%5C`, a raw `\` (WHATWG reads it as `/`) and
 *   compatibility forms (`／`, `＼`) — an upstream that decodes before routing would see extra
 *   segments. Paths with an encoded slash are refused outright, not passed on: some servers
 *   decode it, some do not, and no reading is safe for all;
 * - the same, double- or triple-encoded (`%252e%252e`): an upstream that decodes twice is buggy,
 *   but the cost of refusing `%252F` in a legitimate path is small;
 * - overlong UTF-8 forms of `.`, `/`, `\` (`%C0%AE`, `%C0%AF`), which lenient decoders accept;
 * - NUL and other control characters (raw or encoded, any depth), a malformed `%` escape, and a
 *   raw `?` or `#` in the path part (the caller split the URL wrongly).
 *
 * Kept byte for byte: every other escape (`%E2%82%AC`, `%20`, `%25`, `%3B`), empty segments
 * (`a//b` stays), a trailing slash, sub-delimiters (`;,=+!$&'()*`), `:` and `@`. Raw characters
 * a URL cannot carry (non-ASCII such as `商品`, space, `"`, `<`, `>`, `^`, `` ` ``, `{`, `}`) are
 * percent-encoded as UTF-8 exactly as the URL parser would; `request.url` never contains them.
 * An absolute URL in `rest` (`http://evil/`, `//evil`) stays a path below the base: the target is
 * built by concatenation, never by resolving `rest` against the base, and checked afterwards.
 *
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-3.3
 * @see https://url.spec.whatwg.org/#path-percent-encode-set
 */
import type { Upstream } from './upstreams.ts';

/** Raw characters the URL parser percent-encodes in a path / query (besides non-ASCII). */
const PATH_ENCODE = /[ "<>^`{}]|[^\x00-\x7f]+/gu;
const QUERY_ENCODE = /[ "'<>]|[^\x00-\x7f]+/gu;
const CONTROL = /[\x00-\x1f\x7f]/;
const MALFORMED_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
/** How many rounds of percent-decoding a segment is checked at (raw + three decodes). */
const DECODE_DEPTH = 3;

/**
 * The upstream URL for a proxied request, or `undefined` when the path could leave the base path
 * or is malformed (answer 400 then). `rest` is the raw path after `/api/v1/proxy/{name}/` (no
 * leading slash needed; `''` is the base path itself); `search` is the raw query with its `?`
 * (`''` for none; a lone `?` is kept) — exactly what {@link proxyPathParts} returns.
 */
export function targetUrl(upstream: Upstream, rest: string, search: string): URL | undefined {
  if (search !== '' && !search.startsWith('?')) return undefined;
  if (CONTROL.test(rest) || CONTROL.test(search) || /[?#\\]/.test(rest) || search.includes('#', 1)) return undefined;
  if (MALFORMED_ESCAPE.test(rest)) return undefined;
  for (const segment of rest.split('/')) if (!segmentIsSafe(segment)) return undefined;

  const path = upstream.base.pathname + rest.replace(PATH_ENCODE, utf8Escape);
  const query = search.replace(QUERY_ENCODE, utf8Escape);
  let url: URL;
  try {
    url = new URL(upstream.base.origin + path + query);
  } catch {
    return undefined;
  }
  // Belt and braces: the parser must have taken the path and query exactly as built. Anything
  // it rewrote (a dot segment this module missed, an escape it normalised) is refused, not sent.
  const href = url.href;
  if (url.origin !== upstream.base.origin || url.pathname !== path || href !== upstream.base.origin + path + query) return undefined;
  return url;
}

/**
 * Splits a request URL (`request.url`: absolute, still percent-encoded) into the upstream name,
 * the raw rest of the path and the raw query, when its path starts with `prefix`
 * (e.g. `/api/v1/proxy/`). The fragment, if a client sent one, is dropped. The name is returned
 * raw; look it up in the allow-list as is (an encoded name simply matches nothing).
 */
export function proxyPathParts(requestUrl: string, prefix: string): { name: string; rest: string; search: string } | undefined {
  const scheme = requestUrl.indexOf('://');
  if (scheme < 0) return undefined;
  const pathStart = requestUrl.indexOf('/', scheme + 3);
  if (pathStart < 0) return undefined;
  const hash = requestUrl.indexOf('#', pathStart);
  const end = hash < 0 ? requestUrl.length : hash;
  const q = requestUrl.indexOf('?', pathStart);
  const pathEnd = q < 0 || q > end ? end : q;
  const path = requestUrl.slice(pathStart, pathEnd);
  if (!path.startsWith(prefix)) return undefined;
  const tail = path.slice(prefix.length);
  const slash = tail.indexOf('/');
  const name = slash < 0 ? tail : tail.slice(0, slash);
  if (name === '') return undefined;
  return { name, rest: slash < 0 ? '' : tail.slice(slash + 1), search: requestUrl.slice(pathEnd, end) };
}

/**
 * Whether one raw path segment stays a single, non-dot segment at every decoding depth
 * (raw, then up to {@link DECODE_DEPTH} rounds of decoding; deeper nesting is refused).
 */
function segmentIsSafe(raw: string): boolean {
  let s = raw;
  for (let depth = 0; ; depth++) {
    if (CONTROL.test(s) || (depth > 0 && /[/\\]/.test(s))) return false;
    const compat = s.normalize('NFKC');
    if (/[/\\]/.test(compat) || CONTROL.test(compat)) return false;
    // The part before a path parameter (`..;jsessionid=x` is `..` to Tomcat and Jetty).
    if (/^[. ]*\.[. ]*$/.test(compat.split(';', 1)[0] ?? '')) return false;
    if (!s.includes('%')) return true;
    const bytes = percentDecode(s);
    if (hasOverlongUtf8(bytes)) return false;
    const next = new TextDecoder().decode(bytes);
    if (next === s) return true;
    if (depth === DECODE_DEPTH) return false;
    s = next;
  }
}

/** One round of percent-decoding, as bytes (a stray `%` stays as it is). */
function percentDecode(s: string): Uint8Array {
  const src = Buffer.from(s, 'utf8');
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x25 && isHex(src[i + 1]) && isHex(src[i + 2])) {
      out[n++] = Number.parseInt(String.fromCharCode(src[i + 1]!, src[i + 2]!), 16);
      i += 2;
    } else out[n++] = b;
  }
  return out.subarray(0, n);
}

/**
 * Overlong UTF-8 (`%C0%AE` for `.`, `%C0%AF` for `/`, `%E0%80%AE`): invalid, so a strict
 * decoder yields U+FFFD — but lenient decoders (the old IIS "Unicode" traversal) yield the
 * ASCII character. A lead byte C0/C1, or E0/F0 with a too-small continuation, is never valid.
 */
function hasOverlongUtf8(b: Uint8Array): boolean {
  for (let i = 0; i + 1 < b.length; i++) {
    const lead = b[i]!;
    const next = b[i + 1]!;
    if ((lead === 0xc0 || lead === 0xc1) && next >= 0x80 && next <= 0xbf) return true;
    if (lead === 0xe0 && next >= 0x80 && next <= 0x9f) return true;
    if (lead === 0xf0 && next >= 0x80 && next <= 0x8f) return true;
  }
  return false;
}

function isHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

function utf8Escape(chars: string): string {
  let out = '';
  for (const b of Buffer.from(chars, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
