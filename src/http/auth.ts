import { Elysia, t } from 'elysia';
import type { LoginService, Redirect } from '../login/service.ts';
import { ErrorBody } from './schemas.ts';

/** 302 with no caching: these responses carry one-time state and, for callback, tokens. */
function redirect(r: Redirect, extra: Record<string, string> = {}): Response {
  const headers = new Headers({ location: r.location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', ...extra });
  if (r.setCookie) headers.append('set-cookie', r.setCookie);
  return new Response(null, { status: 302, headers });
}

const Found = t.Void({ description: '302 Found: redirect (see the Location header)' });

/** Browser login: /login, /callback, /logout. */
export function authRoutes(login: LoginService) {
  return new Elysia({ name: 'zitauth/auth' })
    .get(
      '/api/v1/login',
      async ({ query }) =>
        redirect(await login.start({ returnTo: query.return_to, prompt: query.prompt, loginHint: query.login_hint })),
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
      async ({ query, request }) => redirect(await login.finish(query, request.headers.get('cookie'))),
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
      async ({ query }) =>
        redirect(
          await login.logout({
            idTokenHint: query.id_token_hint,
            postLogoutRedirectUri: query.post_logout_redirect_uri,
            state: query.state,
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
          description: "Redirects to Zitadel's end_session endpoint with an allow-listed post_logout_redirect_uri.",
        },
      },
    );
}
