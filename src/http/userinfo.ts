import { Elysia, t } from 'elysia';
import type { IdpClient } from '../idp/index.ts';
import { bearerToken } from './bearer.ts';
import { ErrorBody, RequiredBearerHeaders } from './schemas.ts';

/** /userinfo: proxies the caller's token to Zitadel's userinfo endpoint (original ZitAuth shape). */
export function userinfoRoutes(idp: IdpClient) {
  return new Elysia({ name: 'zitauth/userinfo' }).get(
    '/api/v1/userinfo',
    async ({ headers, set }) => {
      // Personal data for one token: no shared cache may keep it.
      set.headers['cache-control'] = 'no-store';
      return { userinfo: (await idp.userinfo(bearerToken(headers.authorization))) as { sub: string } };
    },
    {
      headers: RequiredBearerHeaders,
      response: {
        200: t.Object(
          { userinfo: t.Object({ sub: t.String() }, { additionalProperties: true }) },
          { examples: [{ userinfo: { sub: '2792…', name: 'Demo User', email: 'demo@example.com', email_verified: true } }] },
        ),
        400: ErrorBody,
        401: ErrorBody,
        502: ErrorBody,
        503: ErrorBody,
        504: ErrorBody,
      },
      detail: {
        tags: ['Tokens'],
        summary: "The caller's Zitadel user profile",
        description: 'Proxies the bearer token to Zitadel userinfo. 401 when Zitadel rejects the token; 502/504 when Zitadel fails or times out.',
        security: [{ bearer: [] }],
      },
    },
  );
}
