import { Elysia, t } from 'elysia';
import { malformedBearer, splitBearer } from './bearer.ts';
import { isJwtShaped, isOpaqueShaped, type JwtShaped, type OpaqueShaped } from '../tokens/format.ts';
import { Claims, ErrorBody, RequirementsQuery } from './schemas.ts';
import { checkRequirements, flattenRoles } from '../tokens/requirements.ts';
import type { Claims as TokenClaims } from '../tokens/introspection.ts';
import { InvalidRequest, InvalidToken, toZitAuthError } from '../errors.ts';
import { errorResponse, type FailureResponder } from './core.ts';
import { resolveReturnTo } from '../login/return-to.ts';

export type Requirements = { role?: string[]; scope?: string[]; aud?: string[] };

const passTo = (answered: ((res: Response) => void) | undefined, res: Response): Response => {
  answered?.(res);
  return res;
};

const hasRequirements = (q: Requirements) => !!(q.role?.length || q.scope?.length || q.aud?.length);

/**
 * /validate (claims as JSON) and /forward-auth (identity as headers, for reverse proxies).
 * Both share the validator, its cache and the requirement checks.
 */
export interface Validator {
  /** Synchronous cache peek (the hot path: no promise for a repeated token). */
  cached(token: string): TokenClaims | undefined;
  /** A JWT-shaped miss: synchronous when its signing key is known, a promise otherwise. */
  validateJwt(token: JwtShaped): TokenClaims | Promise<TokenClaims>;
  /** An opaque-shaped miss: introspection. */
  validateOpaque(token: OpaqueShaped): Promise<TokenClaims>;
}

/** Where forward-auth may send a browser that arrives without a token (`?redirect=login`). */
export interface BrowserLogin {
  /** The gateway's public login URL, e.g. https://auth.example.com/api/v1/login. */
  loginUrl: string;
  spaOrigin: string;
  /** Origins a login may return to (config.returnToOrigins); the original URL must be one. */
  returnToOrigins: string[];
}

const ForwardAuthQuery = t.Object({
  ...RequirementsQuery.properties,
  redirect: t.Optional(
    t.Literal('login', {
      description:
        'Send a browser (no Authorization header, Accept: text/html) to the login with a 302 instead of 401, when the original URL (X-Forwarded-Proto/Host/Uri or X-Original-URL) is within an allowed return_to origin.',
    }),
  ),
});

/** The token check shared by /validate, /forward-auth and the native /validate route. */
export interface TokenCheck {
  /** Claims of the bearer token meeting the requirements, or a thrown/rejected ZitAuthError. */
  check(authorization: string | undefined, q: Requirements): TokenClaims | Promise<TokenClaims>;
  /** A failure answered on the route, with the headers already set for this request. */
  failed(e: unknown, set: { headers: Record<string, string | number> }): Response;
  /**
   * The whole /validate answer. Failures are answered here rather than thrown: for a flood of
   * junk tokens Elysia's throw → error-hook path costs more than rejecting the token itself.
   * `answered` sees the final Response before it is returned (or resolved): the native route
   * accounts there instead of chaining one more promise per cache miss.
   */
  answerValidate(
    request: Request,
    query: Requirements,
    set: { headers: Record<string, string | number> },
    answered?: (res: Response) => void,
  ): Response | Promise<Response>;
}

export function createTokenCheck(deps: {
  validator: Validator;
  /** Renders failures like the global error hook does (defaults to a plain errorResponse). */
  fail?: FailureResponder;
}): TokenCheck {
  const { validator } = deps;
  const fail: FailureResponder = deps.fail ?? ((e, id) => errorResponse(toZitAuthError(e), id));
  const failed = (e: unknown, set: { headers: Record<string, string | number> }): Response => {
    const res = fail(e, set.headers['x-request-id'] as string | undefined);
    for (const [k, v] of Object.entries(set.headers)) if (!res.headers.has(k)) res.headers.set(k, String(v));
    set.headers = {};
    return res;
  };
  const check = (authorization: string | undefined, q: Requirements): TokenClaims | Promise<TokenClaims> => {
    const token = splitBearer(authorization);
    const hit = validator.cached(token);
    if (hit !== undefined) {
      if (hasRequirements(q)) checkRequirements(hit, { roles: q.role, scopes: q.scope, audiences: q.aud });
      return hit;
    }
    // Only a miss needs the charset check: cached tokens passed it when they were validated.
    // The shape guards brand the token, so the validator does not scan it again.
    let claims: TokenClaims | Promise<TokenClaims>;
    if (isJwtShaped(token)) claims = validator.validateJwt(token);
    else if (isOpaqueShaped(token)) claims = validator.validateOpaque(token);
    else throw malformedBearer();
    if (!hasRequirements(q)) return claims;
    if (!(claims instanceof Promise)) {
      checkRequirements(claims, { roles: q.role, scopes: q.scope, audiences: q.aud });
      return claims;
    }
    return claims.then((c) => {
      checkRequirements(c, { roles: q.role, scopes: q.scope, audiences: q.aud });
      return c;
    });
  };
  const answerValidate: TokenCheck['answerValidate'] = (request, query, set, answered) => {
    // Claims are personal data tied to one token: no shared cache may keep or replay them.
    set.headers['cache-control'] = 'no-store';
    let res: Response;
    try {
      const claims = check(request.headers.get('authorization') ?? undefined, query);
      // Serializations are memoized for cache hits only: a miss's claims may never be asked for
      // again (not admitted to the cache), and a WeakMap entry per miss cost ~2 µs (measured in-process).
      if (claims instanceof Promise) {
        return claims.then(
          (c) => passTo(answered, jsonResponse(JSON.stringify(c), set)),
          (e) => passTo(answered, failed(e, set)),
        );
      }
      res = claimsResponse(claims, set);
    } catch (e) {
      res = failed(e, set);
    }
    return passTo(answered, res);
  };
  return { check, failed, answerValidate };
}

export function validateRoutes(deps: { checks: TokenCheck; claimHeaders: Record<string, string>; browserLogin?: BrowserLogin }) {
  const { claimHeaders, browserLogin } = deps;
  const { check, failed, answerValidate } = deps.checks;
  const identityHeadersOf = (claims: TokenClaims): [string, string][] => {
    let h = identityCache.get(claims);
    if (h === undefined) identityCache.set(claims, (h = Object.entries(identityHeaders(claims, claimHeaders))));
    return h;
  };

  return new Elysia({ name: 'zitauth/validate' })
    // The hot path. No `headers` schema: it would copy every request header into an object and
    // validate it, to read one optional string. The answer is a ready Response (see claimsResponse).
    .get(
      '/api/v1/validate',
      ({ request, query, set }): Response | Promise<Response> => answerValidate(request, query, set),
      {
      query: RequirementsQuery,
      response: { 200: Claims, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody },
      detail: {
        tags: ['Tokens'],
        summary: 'Validate a bearer token',
        description:
          'Verifies a JWT access token (signature against the JWKS, allowed algorithms, issuer, audience, exp/nbf) or introspects an opaque token, and returns its claims. Optional `role`, `scope`, `aud` requirements answer 403 `insufficient_scope` when unmet.',
        security: [{ bearer: [] }],
      },
      },
    )
    .get(
      '/api/v1/forward-auth',
      ({ request, query, set }): Response | Promise<Response> => {
        set.headers['cache-control'] = 'no-store';
        const ok = (claims: TokenClaims, memo: boolean): Response => {
          for (const [k, v] of memo ? identityHeadersOf(claims) : Object.entries(identityHeaders(claims, claimHeaders))) set.headers[k] = v;
          return jsonResponse(OK_BODY, set);
        };
        // nginx auth_request accepts only 2xx/401/403 from the subrequest: a malformed header is
        // reported as 401 here (still with an RFC 6750 body) so the proxy maps it correctly.
        // Like /validate, failures are answered here: proxies call this on every request.
        const reject = (e: unknown) => failed(e instanceof InvalidRequest ? new InvalidToken('bad_request', { description: e.message }) : e, set);
        try {
          const claims = check(request.headers.get('authorization') ?? undefined, query);
          return claims instanceof Promise ? claims.then((c) => ok(c, false), reject) : ok(claims, true);
        } catch (e) {
          return reject(e);
        }
      },
      {
        query: ForwardAuthQuery,
        // Runs before the token check: a browser with no token at all gets the login, not a 401.
        beforeHandle: ({ query, request, set, redirect }) => {
          if (query.redirect !== 'login' || !browserLogin || request.headers.has('authorization')) return;
          const location = loginRedirect(request.headers, browserLogin);
          if (!location) return;
          set.headers['cache-control'] = 'no-store';
          // Elysia sends a returned Response as is; the cast only hides a type clash between
          // Response's own `ok: boolean` and this route's `{ ok: true }` body.
          return redirect(location, 302) as unknown as void;
        },
        response: {
          200: t.Object({ ok: t.Literal(true) }, { examples: [{ ok: true }] }),
          302: t.Void({ description: '302 Found to the login (only with `redirect=login`, for browsers without a token)' }),
          401: ErrorBody,
          403: ErrorBody,
          503: ErrorBody,
        },
        detail: {
          tags: ['Tokens'],
          summary: 'Forward-auth for nginx auth_request, Traefik ForwardAuth, Caddy forward_auth',
          description:
            '200 with X-Auth-Request-User, -Email, -Preferred-Username, -Roles (+ configured claim headers); 401 without a valid token; 403 when a role/scope/aud requirement fails.',
          security: [{ bearer: [] }],
        },
      },
    );
}

/**
 * The URL the user originally asked the proxy for: `X-Forwarded-Proto/-Host/-Uri` (Traefik,
 * Caddy) or `X-Original-URL` (the nginx example sets it). Undefined when neither is usable.
 */
export function originalUrl(h: Headers): string | undefined {
  const proto = h.get('x-forwarded-proto');
  const host = h.get('x-forwarded-host');
  if (proto && host) {
    const uri = h.get('x-forwarded-uri') ?? '/';
    return `${proto.split(',')[0]!.trim()}://${host.split(',')[0]!.trim()}${uri.startsWith('/') ? uri : `/${uri}`}`;
  }
  return h.get('x-original-url') ?? undefined;
}

/**
 * The login redirect for a browser that reached forward-auth without a token, or undefined
 * (then the caller answers 401). Only browsers (Accept: text/html) are redirected — an API
 * client wants the 401 — and only back to an allow-listed origin: the login hands tokens to
 * `return_to`, so an unchecked original URL would be an open redirect for tokens.
 */
export function loginRedirect(h: Headers, login: BrowserLogin): string | undefined {
  if (!(h.get('accept') ?? '').includes('text/html')) return undefined;
  const original = originalUrl(h);
  if (!original) return undefined;
  let returnTo: string;
  try {
    returnTo = resolveReturnTo(original, login.spaOrigin, login.returnToOrigins);
  } catch {
    return undefined;
  }
  const url = new URL(login.loginUrl);
  url.searchParams.set('return_to', returnTo);
  return url.href;
}

// Serialized claims, one per cached (shared, frozen) claims object, made on its first cache hit:
// a repeated token costs no JSON.stringify. Weak, so entries leave with the cache's.
const bodies = new WeakMap<object, string>();
const JSON_TYPE = 'application/json;charset=utf-8';

/**
 * The 200 answer of /validate as a finished Response: the cached serialized claims plus every header
 * set so far (request id, CORS, cache-control). Returning a Response skips Elysia's response-schema
 * pass, which clones the claims object and re-checks our own output on every request; clearing
 * `set.headers` afterwards lets Elysia pass the Response through instead of rebuilding it to merge them.
 */
function claimsResponse(claims: TokenClaims, set: { headers: Record<string, string | number> }): Response {
  let body = bodies.get(claims);
  if (body === undefined) bodies.set(claims, (body = JSON.stringify(claims)));
  return jsonResponse(body, set);
}

const OK_BODY = JSON.stringify({ ok: true });

/** A JSON Response carrying the headers set for this request (moved, so Elysia adds none twice). */
function jsonResponse(body: string, set: { headers: Record<string, string | number> }): Response {
  const headers = set.headers;
  headers['content-type'] = JSON_TYPE;
  set.headers = {};
  return new Response(body, { headers: headers as Record<string, string> });
}

/** Identity headers per claims object (claims are frozen and cached, so this is computed once). */
const identityCache = new WeakMap<object, [string, string][]>();

/** Header-safe string: no CR/LF or other control characters can reach the proxy. */
const headerValue = (v: unknown): string | undefined => {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return s.replace(/[\x00-\x1f\x7f]/g, '').slice(0, 4096);
};

/** Identity headers set on forward-auth answers (oauth2-proxy's names, so existing configs fit). */
export function identityHeaders(claims: Record<string, unknown>, mapping: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (name: string, v: unknown) => {
    const s = headerValue(v);
    if (s !== undefined && s !== '') out[name.toLowerCase()] = s;
  };
  put('X-Auth-Request-User', claims.sub);
  put('X-Auth-Request-Email', claims.email);
  put('X-Auth-Request-Preferred-Username', claims.preferred_username ?? claims.username);
  put('X-Auth-Request-Roles', flattenRoles(claims).join(','));
  for (const [claim, header] of Object.entries(mapping)) put(header, claims[claim]);
  return out;
}
