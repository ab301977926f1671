import { InvalidRequest } from '../errors.ts';

/**
 * Resolves a `return_to` (path or absolute URL) against the SPA origin and accepts it only if
 * its origin is allow-listed: an open redirect here would hand tokens (in the fragment) to
 * anyone who can craft a link.
 */
export function resolveReturnTo(returnTo: string | undefined, spaOrigin: string, allowedOrigins: string[]): string {
  if (!returnTo) return `${spaOrigin}/`;
  // Protocol-relative ("//evil") and backslash tricks resolve to other hosts; URL() handles them,
  // the origin check below then refuses them.
  let url: URL;
  try {
    url = new URL(returnTo, `${spaOrigin}/`);
  } catch {
    throw new InvalidRequest('return_to is not a valid URL or path.');
  }
  if (!allowedOrigins.includes(url.origin)) {
    throw new InvalidRequest('return_to must stay within the allowed SPA origin(s).');
  }
  url.hash = '';
  return url.toString();
}
