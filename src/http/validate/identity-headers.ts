/**
 * The identity headers forward-auth answers carry, under oauth2-proxy's names so existing proxy
 * configurations fit: X-Auth-Request-User/-Email/-Preferred-Username/-Roles plus configured
 * claim headers.
 */
import { flattenRoles } from '../../tokens/requirements.ts';
import type { Claims } from '../../tokens/introspection.ts';
import { toHeaderBytes } from '../header-bytes.ts';

/**
 * A claim as a header value: control characters (CR/LF above all) removed, at most 4096
 * characters, and carried as its **UTF-8 bytes** — what nginx and oauth2-proxy pass on for
 * `X-Auth-Request-*` (see header-bytes.ts). Regression (issue 11 item 4): a name like 山田太郎 made Bun refuse the header — a 500 for every
 * request of a non-ASCII user behind the proxy. Upstreams decode the header as UTF-8.
 */
export function headerValue(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return toHeaderBytes(s.replace(/[\x00-\x1f\x7f]/g, '').slice(0, 4096));
}

/** The identity headers for `claims` (lower-case names), with the configured `claim → header` extras. */
export function identityHeaders(claims: Record<string, unknown>, mapping: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (name: string, v: unknown) => {
    const s = headerValue(v);
    if (s !== undefined && s !== '') out[name.toLowerCase()] = s;
  };
  put('X-Auth-Request-User', claims.sub);
  put('X-Auth-Request-Email', claims.email);
  put('X-Auth-Request-Preferred-Username', claims.preferred_username ?? claims.username);
  put('X-Auth-Request-Roles', flattenRoles(claims).join(','));
  for (const [claim, header] of Object.entries(mapping)) put(header, claims[claim]);
  return out;
}

/**
 * Identity headers per claims object, memoized for claims objects that are shared between requests
 * (`cached`: the validator's cache, an opened session) only: a cache miss's claims may never be
 * asked for again, and a memo entry per miss costs more than it saves (docs/benchmarks.md,
 * "hot-path changes"). The returned array is shared: do not modify it.
 */
export function identityHeaderCache(mapping: Record<string, string>): (claims: Claims, cached: boolean) => readonly [string, string][] {
  const memo = new WeakMap<object, [string, string][]>();
  return (claims, cached) => {
    if (!cached) return Object.entries(identityHeaders(claims, mapping));
    let h = memo.get(claims);
    if (h === undefined) memo.set(claims, (h = Object.entries(identityHeaders(claims, mapping))));
    return h;
  };
}
