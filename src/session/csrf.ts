/**
 * CSRF defence for cookie-authenticated routes (OAuth 2.0 for Browser-Based Applications draft
 * §6.1.3.3): the request must carry the custom header `X-CSRF: 1` — which a cross-origin page can
 * only send after a CORS preflight, and the gateway answers no CORS for these routes — and its
 * `Origin`, when present, must be one of the gateway's own. A form post or an `<img>` from another
 * site therefore never reaches the session's tokens.
 */
import { CsrfRejected } from '../errors.ts';

export const CSRF_HEADER = 'x-csrf';

export function checkCsrf(headers: Headers, allowedOrigins: ReadonlySet<string>): void {
  if (headers.get(CSRF_HEADER) !== '1') throw new CsrfRejected('This request needs the header "X-CSRF: 1".');
  const origin = headers.get('origin');
  if (origin !== null && !allowedOrigins.has(origin)) throw new CsrfRejected('This origin may not use the session.');
}
