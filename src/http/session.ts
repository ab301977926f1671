/**
 * Session mode's own routes: who is logged in (GET /api/v1/session — never a token), and logout
 * by fetch (POST /api/v1/session/logout, CSRF-checked) for SPAs that prefer it to navigating to
 * /api/v1/logout.
 */
import { Elysia, t } from 'elysia';
import type { LoginService } from '../login/service.ts';
import { checkCsrf } from '../session/csrf.ts';
import { viewOf } from '../session/data.ts';
import type { SessionService } from '../session/service.ts';
import { ErrorBody } from './schemas.ts';

const SessionBody = t.Object(
  {
    authenticated: t.Literal(true),
    sub: t.String(),
    name: t.Optional(t.String()),
    preferred_username: t.Optional(t.String()),
    email: t.Optional(t.String()),
    roles: t.Array(t.String()),
    expires_at: t.Number({ description: 'Epoch seconds when the session ends at the latest if unused (idle timeout, capped by the absolute lifetime)' }),
  },
  { examples: [{ authenticated: true, sub: '2792…', name: '山田太郎', preferred_username: 'yamada', email: 'yamada@example.com', roles: ['admin'], expires_at: 1767225600 }] },
);
const NoSession = t.Object({ authenticated: t.Literal(false) });

const noStore = { 'cache-control': 'no-store' } as const;

export function sessionRoutes(deps: { sessions: SessionService | undefined; login: LoginService; allowedOrigins: ReadonlySet<string> }) {
  const { sessions, login, allowedOrigins } = deps;
  return new Elysia({ name: 'zitauth/session' })
    .get(
      '/api/v1/session',
      async ({ request, set, status }) => {
        Object.assign(set.headers, noStore);
        const active = sessions ? await sessions.resolve(request.headers.get('cookie'), { refresh: false }) : undefined;
        if (active === undefined) return status(401, { authenticated: false as const });
        return viewOf(active.data, active.expiresAt);
      },
      {
        response: { 200: SessionBody, 401: NoSession, 503: ErrorBody },
        detail: {
          tags: ['Session'],
          summary: 'Who is logged in (session mode)',
          description:
            'With the session cookie: the user and when the session ends. Never returns a token. 401 `{ authenticated: false }` without a live session (and always in fragment mode).',
        },
      },
    )
    .post(
      '/api/v1/session/logout',
      async ({ request }) => {
        checkCsrf(request.headers, allowedOrigins);
        // The URL goes to page scripts: no ID token in it (see LoginService.logout).
        const r = await login.logout({ cookieHeader: request.headers.get('cookie'), withoutHint: true });
        const headers = new Headers({ 'content-type': 'application/json', ...noStore });
        for (const c of r.setCookies) headers.append('set-cookie', c);
        return new Response(JSON.stringify({ logged_out: true, end_session_url: r.location }), { headers }) as unknown as {
          logged_out: true;
          end_session_url: string;
        };
      },
      {
        response: {
          200: t.Object({ logged_out: t.Literal(true), end_session_url: t.String({ description: "Zitadel's end_session URL: navigate there to end the Zitadel session too" }) }),
          403: ErrorBody,
          503: ErrorBody,
        },
        detail: {
          tags: ['Session'],
          summary: 'End the session (session mode, by fetch)',
          description:
            'Needs the header `X-CSRF: 1`. Ends the gateway session, clears the cookie and returns the end_session URL to navigate to.',
        },
      },
    );
}
