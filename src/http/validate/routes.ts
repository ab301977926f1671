/**
 * GET /api/v1/validate and /api/v1/forward-auth as Elysia routes: the schema for OpenAPI and
 * Eden, and the answer for `app.handle` and any server without the native routes. The native
 * routes (native.ts) serve the same answers from Bun's router when the app listens.
 */
import { Elysia, t } from 'elysia';
import { Claims, ErrorBody, RequiredBearerHeaders } from '../schemas.ts';
import type { Answers } from './answers.ts';
import { ForwardAuthQuery, RequirementsQuery } from './query.ts';

export function validateRoutes(answers: Answers) {
  return (
    new Elysia({ name: 'zitauth/validate' })
      // The served route is the native one (native.ts); the header schema here costs only
      // `app.handle`, and makes a call without the header a type error for Eden clients.
      .get('/api/v1/validate', ({ request, query, set }): Response | Promise<Response> => answers.validate(request, query, set), {
        headers: RequiredBearerHeaders,
        query: RequirementsQuery,
        response: { 200: Claims, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody },
        detail: {
          tags: ['Tokens'],
          summary: 'Validate a bearer token',
          description:
            'Verifies a JWT access token (signature against the JWKS, allowed algorithms, issuer, audience, exp/nbf) or introspects an opaque token, and returns its claims. Optional `role`, `scope`, `aud` requirements answer 403 `insufficient_scope` when unmet.',
          security: [{ bearer: [] }],
        },
      })
      .get(
        '/api/v1/forward-auth',
        // Elysia sends a returned Response as is; the cast only hides a clash between Response's own
        // `ok: boolean` and this route's `{ ok: true }` body in the response schema's type.
        ({ request, query, set }) => answers.forwardAuth(request, query, set) as unknown as { ok: true },
        {
          query: ForwardAuthQuery,
          response: {
            200: t.Object({ ok: t.Literal(true) }, { examples: [{ ok: true }] }),
            302: t.Void({ description: '302 Found to the login (only with `redirect=login`, for browsers without a token)' }),
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
            503: ErrorBody,
          },
          detail: {
            tags: ['Tokens'],
            summary: 'Forward-auth for nginx auth_request, Traefik ForwardAuth, Caddy forward_auth',
            description:
              '200 with X-Auth-Request-User, -Email, -Preferred-Username, -Roles (+ configured claim headers; values are UTF-8 bytes); 401 without a valid token; 403 when a role/scope/aud requirement fails; 400 for a malformed requirement (a proxy configuration error).',
            security: [{ bearer: [] }],
          },
        },
      )
  );
}
