/**
 * The allow-list of upstreams the session-mode API proxy may call: `ZITAUTH_UPSTREAMS`.
 *
 * The browser names an upstream (`/api/v1/proxy/orders/…`), never a URL: a BFF that forwarded
 * to any URL the page asks for would be an open proxy carrying the user's access token. The
 * browser-based-apps draft asks for exactly this list (§6.1.3.6 "restrict the hosts to which the
 * BFF forwards requests").
 *
 * Format: `name=url` entries separated by commas or whitespace, e.g.
 * `orders=http://orders:8080,billing=https://billing.internal/api`. A comma inside a base path
 * must be written `%2C`.
 *
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-browser-based-apps#section-6.1.3.6
 */
import { list } from '../config/read.ts';

/** One allow-listed upstream. */
export interface Upstream {
  /** The name in `/api/v1/proxy/{name}/…`: lower-case, `[a-z0-9][a-z0-9_-]{0,62}`. */
  readonly name: string;
  /**
   * The upstream's base URL as parsed: http(s), no credentials, query or fragment; its
   * `pathname` always ends in `/` (`http://orders:8080` → `/`, `https://b/api` → `/api/`), so a
   * proxied path is appended to it as is. Treat it as read-only.
   */
  readonly base: URL;
}

const VARIABLE = 'ZITAUTH_UPSTREAMS';

/**
 * Lower-case only, and matched byte for byte against the request path. Why not fold case:
 * one spelling per upstream keeps route, logs and metrics labels unambiguous, and a path
 * segment compared exactly cannot be confused by Unicode case mapping. `Orders` in the
 * variable is refused with a hint, not silently lower-cased, so the operator learns the URL.
 */
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** What may be quoted back in a problem: a name-like word cannot be a password or a URL. */
const QUOTABLE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Parses `ZITAUTH_UPSTREAMS`. Every problem is reported (not only the first), each naming the
 * variable; a problem quotes an entry's name only when it is name-shaped and never quotes a
 * URL, so credentials written into the variable by mistake stay out of logs and terminals.
 * Entries with problems are left out of the map; an empty value is an empty map.
 */
export function parseUpstreams(value: string): { upstreams: Map<string, Upstream>; problems: string[] } {
  const upstreams = new Map<string, Upstream>();
  const problems: string[] = [];
  const entries = list(value);
  entries.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const rawName = eq < 0 ? '' : entry.slice(0, eq);
    const label = QUOTABLE.test(rawName) ? `"${rawName}"` : `entry ${i + 1}`;
    if (eq <= 0) {
      problems.push(`${VARIABLE}: ${label} must look like name=http(s)://host[:port][/path]`);
      return;
    }
    let ok = true;
    if (!NAME.test(rawName)) {
      ok = false;
      const lower = rawName.toLowerCase();
      problems.push(
        NAME.test(lower)
          ? `${VARIABLE}: upstream names are lower-case; write "${lower}"`
          : `${VARIABLE}: ${label}: a name is 1-63 of a-z, 0-9, "_" and "-", starting with a letter or digit`,
      );
    } else if (upstreams.has(rawName)) {
      ok = false;
      problems.push(`${VARIABLE}: "${rawName}" is listed twice`);
    }
    const base = parseBase(entry.slice(eq + 1), `${VARIABLE}: ${label}`, problems);
    if (ok && base) upstreams.set(rawName, Object.freeze({ name: rawName, base }));
  });
  return { upstreams, problems };
}

/** The base URL, or undefined with a problem recorded. The text is never quoted back. */
function parseBase(text: string, where: string, problems: string[]): URL | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    problems.push(`${where} must be an absolute http(s) URL`);
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    problems.push(`${where} must be an absolute http(s) URL`);
    return undefined;
  }
  // `http://@host` parses to an empty username; look at the text's authority too.
  if (u.username || u.password || /^[a-z][a-z0-9+.-]*:[/\\]*[^/\\?#]*@/i.test(text)) {
    problems.push(`${where} must not carry credentials (user:password@); the gateway sends the user's access token`);
    return undefined;
  }
  // The raw text, not u.search/u.hash: a bare "?" or "#" parses to an empty string.
  if (text.includes('?') || text.includes('#')) {
    problems.push(`${where} must not have a query or fragment; the proxied request brings its own query`);
    return undefined;
  }
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}
