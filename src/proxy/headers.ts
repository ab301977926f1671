/**
 * The header rules of the session-mode API proxy, both directions.
 *
 * Request (browser → upstream): the browser's credentials for the *gateway* (its session
 * cookie, any Authorization) must never reach an upstream, and nothing the browser sends may
 * pass for something the gateway vouches for (identity headers, X-Forwarded-*). The upstream
 * gets the user's access token and the identity headers forward-auth would send.
 *
 * Response (upstream → browser): the upstream may not set, replace or clear the gateway's own
 * cookies — on the gateway's origin an upstream's `Set-Cookie` would otherwise land in the
 * user's session jar (session fixation, forced logout).
 *
 * Hop-by-hop fields belong to one connection and are dropped both ways (RFC 9110 §7.6.1): a
 * browser's `Connection: close, Authorization` must not make the proxy forward its
 * Authorization header by accident, nor `Upgrade` turn the proxied request into a tunnel.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1
 * @see https://www.rfc-editor.org/rfc/rfc7239
 */
import { CSRF_HEADER } from '../session/csrf.ts';

/**
 * Hop-by-hop in every message (RFC 9110 §7.6.1, plus the legacy `Proxy-Connection`), the proxy
 * authentication pair addressed to the gateway as an intermediary (RFC 9110 §11.7), and
 * `Expect`: `100-continue` is the client's exchange with the gateway, which Bun.serve answers;
 * forwarding it would make the upstream wait for a continue that Bun's fetch never awaits.
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'expect']);

/** Options for {@link upstreamRequestHeaders}. */
export interface UpstreamRequestOptions {
  /** The user's access token, sent as `Authorization: Bearer …`. */
  accessToken: string;
  /** Identity headers to set (forward-auth's), values already header-safe (UTF-8 bytes as latin1). */
  identity: readonly (readonly [string, string])[];
  /**
   * More header names the gateway owns, removed from the browser's request even when no value
   * is set for this user (the configured claim headers): otherwise a user without, say, a
   * `department` claim could send `X-User-Department` himself. `X-Auth-Request-*` and the names
   * in `identity` are always removed.
   */
  reserved?: readonly string[];
  /** The upstream URL; `Host` becomes its host. */
  target: URL;
  /** The peer address of the browser's connection (`server.requestIP(request)?.address`). */
  clientAddress: string | undefined;
  /** The scheme the browser used to reach the gateway. */
  proto: 'http' | 'https';
  /**
   * The gateway sits behind a proxy it trusts (its peer is that proxy): extend the incoming
   * `Forwarded`/`X-Forwarded-For` chains and keep its `X-Forwarded-Proto/-Host` (they say what
   * the browser saw). Default false: every client-sent forwarding header is replaced, since a
   * browser can write anything there.
   */
  trustForwarded?: boolean;
}

/**
 * The headers for the upstream request, from the browser's. Everything not named in the module
 * rules passes through unchanged (Accept, Content-Type, Content-Length, If-*, Origin, …).
 * `Accept-Encoding: identity` is set when the browser sent none: the body is relayed compressed
 * or not exactly as the upstream sends it, so the upstream must not compress for a client that
 * cannot decode (Bun's fetch would otherwise offer gzip/br/zstd on the browser's behalf).
 */
export function upstreamRequestHeaders(incoming: Headers, opts: UpstreamRequestOptions): Headers {
  const out = withoutHopByHop(incoming);
  const forwardedHost = incoming.get('host');
  // The identity headers need no delete: they are x-auth-request-* or reserved, and set below.
  for (const name of ['host', 'cookie', 'authorization', CSRF_HEADER, ...(opts.reserved ?? [])]) out.delete(name);
  for (const name of [...out.keys()]) if (name.startsWith('x-auth-request-')) out.delete(name);
  // Only one framing: with Transfer-Encoding (dropped above, Bun re-frames) a Content-Length is
  // meaningless (RFC 9112 §6.3), and passing it on would invite request smuggling upstream.
  if (incoming.has('transfer-encoding')) out.delete('content-length');

  setForwarding(out, incoming, opts, forwardedHost);
  if (!incoming.has('accept-encoding')) out.set('accept-encoding', 'identity');

  out.set('host', opts.target.host);
  out.set('authorization', `Bearer ${opts.accessToken}`);
  for (const [name, value] of opts.identity) out.set(name, value);
  return out;
}

/**
 * The headers for the browser, from the upstream's response: hop-by-hop dropped, `Set-Cookie`
 * for the gateway's own cookie names dropped (every other one kept, each as its own header),
 * `Alt-Svc` dropped (it would advertise the upstream's alternative services for the gateway's
 * origin) and `Clear-Site-Data` dropped when it clears cookies (it would end the session
 * cookie's life just like a Set-Cookie). Everything else passes as is, including
 * `Content-Length` and `Content-Encoding` (the body is relayed undecoded).
 *
 * @param isGatewayCookie e.g. `(n) => n === '__Host-zitauth_session' || n.startsWith('zitauth_login_')`
 */
export function browserResponseHeaders(upstream: Headers, isGatewayCookie: (name: string) => boolean): Headers {
  const out = withoutHopByHop(upstream);
  out.delete('set-cookie');
  for (const line of upstream.getSetCookie()) if (!isGatewayCookie(setCookieName(line))) out.append('set-cookie', line);
  if (upstream.has('transfer-encoding')) out.delete('content-length');
  out.delete('alt-svc');
  const clear = out.get('clear-site-data');
  if (clear !== null && /"(?:cookies|\*)"/i.test(clear)) out.delete('clear-site-data');
  return out;
}

/**
 * The cookie name a browser will store for a `Set-Cookie` line (RFC 6265bis §5.6): the text
 * before the first `=` of the part before the first `;`, trimmed. A line without `=` makes a
 * *nameless* cookie, which browsers send back as its bare value — so a nameless
 * `Set-Cookie: =__Host-zitauth_session=x` would arrive as `Cookie: __Host-zitauth_session=x`.
 * For those the name is what the browser will send: the value up to its own `=`.
 *
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-5.6
 */
export function setCookieName(line: string): string {
  const pair = line.split(';', 1)[0] ?? '';
  const eq = pair.indexOf('=');
  const name = eq < 0 ? '' : pair.slice(0, eq).trim();
  if (name !== '') return name;
  const value = (eq < 0 ? pair : pair.slice(eq + 1)).trim();
  const inner = value.indexOf('=');
  return (inner < 0 ? value : value.slice(0, inner)).trim();
}

/** A copy of `h` without hop-by-hop fields: the fixed list and every name `Connection` lists. */
export function withoutHopByHop(h: Headers): Headers {
  const out = new Headers();
  const listed = (h.get('connection') ?? '').split(',').map((t) => t.trim().toLowerCase()).filter((n) => n !== '');
  const drop = listed.length === 0 ? HOP_BY_HOP : new Set([...HOP_BY_HOP, ...listed]);
  for (const [name, value] of h) if (!drop.has(name) && name !== 'set-cookie') out.append(name, value);
  for (const line of h.getSetCookie()) if (!drop.has('set-cookie')) out.append('set-cookie', line);
  return out;
}

/** `Forwarded`, `X-Forwarded-For/-Proto/-Host` and `Via` for the upstream (see trustForwarded). */
function setForwarding(out: Headers, incoming: Headers, opts: UpstreamRequestOptions, rawHost: string | null): void {
  const host = rawHost !== null && HOST.test(rawHost) ? rawHost : undefined;
  const addr = opts.clientAddress !== undefined && ADDRESS.test(opts.clientAddress) ? opts.clientAddress : undefined;
  const trusted = opts.trustForwarded === true;
  if (!trusted) {
    for (const name of [...out.keys()]) if (name.startsWith('x-forwarded-')) out.delete(name);
    out.delete('forwarded');
    out.delete('x-real-ip');
  }

  // RFC 7239 §6: an IPv6 node is bracketed and quoted; an unknown one is "unknown".
  const node = addr === undefined ? 'unknown' : addr.includes(':') ? `"[${addr}]"` : addr;
  const element = [`for=${node}`, host === undefined ? undefined : `host=${quoteIfNeeded(host)}`, `proto=${opts.proto}`].filter(Boolean).join(';');
  const prior = trusted ? incoming.get('forwarded') : null;
  out.set('forwarded', prior ? `${prior}, ${element}` : element);

  if (addr !== undefined) {
    const chain = trusted ? incoming.get('x-forwarded-for') : null;
    out.set('x-forwarded-for', chain ? `${chain}, ${addr}` : addr);
  }
  if (!trusted || !incoming.has('x-forwarded-proto')) out.set('x-forwarded-proto', opts.proto);
  if (host !== undefined && (!trusted || !incoming.has('x-forwarded-host'))) out.set('x-forwarded-host', host);

  // RFC 9110 §7.6.3: a gateway MUST send Via in each request it forwards inbound (appended).
  const via = incoming.get('via');
  out.set('via', via ? `${via}, 1.1 zitauth` : '1.1 zitauth');
}

/** A Host header worth repeating: reg-name/IPv4/IPv6 literal and port, nothing else. */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
/** An IPv4 or IPv6 address as Bun reports it (IPv4-mapped IPv6 included). */
const ADDRESS = /^[0-9A-Fa-f:.]{2,45}$/;
/** RFC 7230 token characters; anything else in a Forwarded value is a quoted-string. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function quoteIfNeeded(v: string): string {
  return TOKEN.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}
