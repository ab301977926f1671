import { Elysia, t } from 'elysia';
import type { LoginService, Redirect } from '../login/service.ts';
import { errorPage, wantsHtml } from './error-page.ts';
import { ErrorBody } from './schemas.ts';

/** 302 with no caching: these responses carry one-time state and, for callback, tokens. */
function redirect(r: Redirect): Response {
  const headers = new Headers({ location: r.location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  for (const c of r.setCookies) headers.append('set-cookie', c);
  return new Response(null, { status: 302, headers });
}

const Found = t.Void({ description: '302 Found: redirect (see the Location header)' });

/**
 * Browser login: /login, /callback, /logout. A failure is a page for a browser (Accept:
 * text/html) with a link back to `appUrl`, and the RFC-style JSON for everyone else (thrown to
 * the global error hook).
 */
export function authRoutes(login: LoginService, appUrl: string) {
  const browserFriendly =
    <C extends { request: Request; requestId?: string }>(run: (ctx: C) => Promise<Redirect>) =>
    async (ctx: C): Promise<Response> => {
      try {
        return redirect(await run(ctx));
      } catch (err) {
        if (wantsHtml(ctx.request)) return errorPage(err, appUrl, ctx.requestId);
        throw err;
      }
    };
  return new Elysia({ name: 'zitauth/auth' })
    .get(
      '/api/v1/login',
      browserFriendly(({ query }: { request: Request; requestId?: string; query: { return_to?: string; prompt?: string; login_hint?: string } }) =>
        login.start({ returnTo: query.return_to, prompt: query.prompt, loginHint: query.login_hint }),
      ),
      {
        query: t.Object({
          return_to: t.Optional(t.String({ maxLength: 2048, description: 'Path (or URL within an allowed SPA origin) to return to' })),
          prompt: t.Optional(t.Union([t.Literal('none'), t.Literal('login'), t.Literal('select_account'), t.Literal('create')])),
          login_hint: t.Optional(t.String({ maxLength: 256 })),
        }),
        response: { 302: Found, 400: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody },
        detail: {
          tags: ['Login'],
          summary: 'Start the browser login',
          description:
            'Redirects to Zitadel (authorization code + PKCE S256, state, nonce). The login state is kept in an encrypted, HttpOnly, SameSite=Lax cookie bound to this browser.',
        },
      },
    )
    .get(
      '/api/v1/callback',
      browserFriendly(({ query, request }: { request: Request; requestId?: string; query: Record<string, string | undefined> }) =>
        login.finish(query, request.headers.get('cookie')),
      ),
      {
        query: t.Object({
          code: t.Optional(t.String({ maxLength: 4096 })),
          state: t.Optional(t.String({ maxLength: 1024 })),
          error: t.Optional(t.String({ maxLength: 256 })),
          error_description: t.Optional(t.String({ maxLength: 2048 })),
          iss: t.Optional(t.String({ maxLength: 2048 })),
        }, { additionalProperties: true }),
        response: { 302: Found, 400: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody },
        detail: {
          tags: ['Login'],
          summary: 'Finish the browser login (Zitadel redirects here)',
          description:
            'Checks state against the browser cookie (single use), exchanges the code with the PKCE verifier, checks the ID token, then redirects to the SPA with `#access_token=…&token_type=Bearer&expires_in=…&id_token=…` (or `#error=…`).',
        },
      },
    )
    .get(
      '/api/v1/logout',
      browserFriendly(({ query, request }: { request: Request; requestId?: string; query: { id_token_hint?: string; post_logout_redirect_uri?: string; state?: string } }) =>
        login.logout({
          idTokenHint: query.id_token_hint,
          postLogoutRedirectUri: query.post_logout_redirect_uri,
          state: query.state,
          cookieHeader: request.headers.get('cookie'),
        }),
      ),
      {
        query: t.Object({
          id_token_hint: t.Optional(t.String({ maxLength: 8192 })),
          post_logout_redirect_uri: t.Optional(t.String({ maxLength: 2048 })),
          state: t.Optional(t.String({ maxLength: 512 })),
        }),
        response: { 302: Found, 400: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody },
        detail: {
          tags: ['Login'],
          summary: 'End the Zitadel session',
          description:
            "Ends the gateway session (session mode; its ID token becomes the hint), then redirects to Zitadel's end_session endpoint with an allow-listed post_logout_redirect_uri.",
        },
      },
    );
}
