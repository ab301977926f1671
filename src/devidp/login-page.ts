/**
 * The dev IdP's sign-in and signed-out pages: plain HTML with no scripts (a fetch-based test fills
 * the form as easily as headless Chromium), styled like the SPA demo (examples/spa/style.css: the
 * same colour scheme, accent, font and card) and laid out to fit a 390 px wide phone screen.
 */

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The SPA's design tokens and card, plus form controls; long values wrap instead of widening the page. */
const STYLE = `
:root { color-scheme: light dark; --accent: #3b5bdb; --bad: #c92a2a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 26rem; margin: 2rem auto; padding: 0 1rem; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
.lead, .hint { opacity: .8; margin-top: 0; }
.hint { font-size: .875rem; }
.card { border: 1px solid color-mix(in srgb, currentColor 20%, transparent); border-radius: .5rem; padding: 1rem 1.25rem; margin: 1rem 0; }
code, .error, .lead { overflow-wrap: anywhere; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
input { display: block; width: 100%; min-width: 0; font: inherit; padding: .5rem .65rem; border-radius: .4rem; color: inherit; background: transparent;
  border: 1px solid color-mix(in srgb, currentColor 35%, transparent); }
input:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
button { display: block; width: 100%; margin-top: 1.25rem; font: inherit; font-weight: 600; padding: .6rem .9rem; border-radius: .4rem;
  border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button:focus-visible { outline: 2px solid currentColor; outline-offset: 2px; }
.error { color: var(--bad); font-weight: 600; }
`;

const page = (title: string, body: string) => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
<p class="hint">ZitAuth development IdP — a stand-in for Zitadel's login, for local use only.</p>
</main>
</body>
</html>`;

/** The login form; `error` is shown after a failed attempt. */
export function loginPage(opts: { action: string; loginHint?: string; error?: string; clientId: string }): string {
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  return page(
    'Sign in — ZitAuth dev IdP',
    `<section class="card">
<h1>Sign in</h1>
<p class="lead">to continue to <code>${escapeHtml(opts.clientId)}</code></p>
${error}
<form method="post" action="${escapeHtml(opts.action)}" accept-charset="utf-8">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" autofocus required value="${escapeHtml(opts.loginHint ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</section>`,
  );
}

/** Zitadel's "logged out" page, shown after end_session without a (valid) post_logout_redirect_uri. */
export function loggedOutPage(): string {
  return page('Signed out — ZitAuth dev IdP', '<section class="card"><h1>Signed out</h1><p class="lead">You can close this window.</p></section>');
}
