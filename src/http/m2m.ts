import { Elysia, t } from 'elysia';
import { isProxied, type ApiKeyGate } from '../m2m/api-keys.ts';
import { ErrorBody } from './schemas.ts';
import { NotConfigured } from '../errors.ts';

/** The M2M token service as the route sees it (null when no key file is configured). */
export interface M2mTokens {
  getToken(): Promise<{ access_token: string; token_type: string; expires_in: number }>;
}

const TokenResponse = t.Object(
  { access_token: t.String(), token_type: t.String(), expires_in: t.Number({ description: 'Seconds until the token expires' }) },
  { examples: [{ access_token: 'eyJhbGciOiJSUzI1NiIs…', token_type: 'Bearer', expires_in: 43140 }] },
);

/**
 * /m2m-token: a Zitadel service-user token minted through the JWT bearer grant. Callers
 * authenticate with an API key; the token is cached and shared (see TokenBroker).
 */
export function m2mRoutes(deps: { gate: ApiKeyGate; tokens: M2mTokens | undefined; unavailableReason: string }) {
  const handler = async ({ request, server, set }: { request: Request; server: { requestIP(r: Request): { address: string } | null } | null; set: { headers: Record<string, string | number> } }) => {
    deps.gate.authorize(request.headers.get('authorization'), server?.requestIP(request)?.address, isProxied(request.headers));
    if (!deps.tokens) throw new NotConfigured(deps.unavailableReason);
    set.headers['cache-control'] = 'no-store';
    return deps.tokens.getToken();
  };
  const doc = (method: string) => ({
    headers: t.Object({ authorization: t.Optional(t.String({ description: 'Bearer <ZitAuth M2M API key>' })) }),
    response: { 200: TokenResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody },
    detail: {
      tags: ['M2M'],
      summary: `Get a service-user access token (${method})`,
      description:
        'JWT bearer grant (RFC 7523) with the configured Zitadel service-user key file. Requires an API key from ZITAUTH_M2M_API_KEYS (loopback only when none is configured). 503 with Retry-After when no token can be obtained.',
      security: [{ apiKey: [] }],
    },
  });
  return new Elysia({ name: 'zitauth/m2m' })
    .get('/api/v1/m2m-token', handler, doc('GET'))
    .post('/api/v1/m2m-token', handler, doc('POST'));
}
