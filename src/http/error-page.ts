/**
 * Browser-facing failures of /login, /callback and /logout (Back after a login, a stale callback,
 * a bad `return_to`): a person sees a page saying what went wrong with a link back to the app,
 * not a JSON body. API clients (no `text/html` in Accept) keep getting the RFC-style JSON.
 */
import { createHash } from 'node:crypto';
import { toZitAuthError } from '../errors.ts';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Inline styles only, allowed by their hash (CSP3 §8.4): no scripts, nothing else inline. */
const STYLE =
  'body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}main{max-width:36rem;margin:3rem auto;padding:0 1rem}' +
  '.card{border:1px solid #8884;border-radius:.5rem;padding:1rem 1.25rem}h1{font-size:1.3rem;margin-top:0}.code{opacity:.7;font-family:monospace}' +
  'a.button{display:inline-block;margin-top:.5rem;padding:.5rem .9rem;border-radius:.4rem;background:#3b5bdb;color:#fff;text-decoration:none}';

const CSP = `default-src 'self'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'`;

/** True when the client prefers a page (a browser navigating) over JSON. */
export function wantsHtml(request: Request): boolean {
  return (request.headers.get('accept') ?? '').includes('text/html');
}

/** The error as an HTML page with a link back to `appUrl`; same status as the JSON answer. */
export function errorPage(error: unknown, appUrl: string, requestId?: string): Response {
  const err = toZitAuthError(error);
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in problem — ZitAuth</title><style>${STYLE}</style></head>
<body><main><div class="card" role="alert">
<h1>${err.status >= 500 ? 'Sign-in is unavailable right now' : 'This sign-in link cannot be used'}</h1>
<p>${escapeHtml(err.message)}</p>
<p class="code">${escapeHtml(err.error)}${requestId ? ` · request ${escapeHtml(requestId)}` : ''}</p>
<a class="button" href="${escapeHtml(appUrl)}">Back to the app</a>
</div></main></body></html>`;
  const headers: Record<string, string> = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (requestId) headers['x-request-id'] = requestId;
  if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter);
  return new Response(body, { status: err.status, headers });
}
