/**
 * The dev IdP's login and logout pages: deliberately plain HTML (no scripts needed to sign in), so
 * a fetch-based test can fill the form as easily as headless Chromium.
 */

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const page = (title: string, body: string) => `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:3rem auto}label,input,button{display:block;width:100%;margin:.3rem 0}p.error{color:#b00020}</style>
</head>
<body>${body}</body>
</html>`;

/** The login form; `error` is shown after a failed attempt. */
export function loginPage(opts: { action: string; loginHint?: string; error?: string; clientId: string }): string {
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  return page(
    'Sign in — ZitAuth dev IdP',
    `<h1>Sign in</h1>
<p>to continue to <code>${escapeHtml(opts.clientId)}</code> (ZitAuth development IdP)</p>
${error}
<form method="post" action="${escapeHtml(opts.action)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autofocus required value="${escapeHtml(opts.loginHint ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** Shown after end_session without a (valid) post_logout_redirect_uri. */
export function loggedOutPage(): string {
  return page('Signed out — ZitAuth dev IdP', '<h1>Signed out</h1><p>You can close this window.</p>');
}
