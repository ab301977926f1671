import { Elysia } from 'elysia';

/**
 * CORS for the routes browsers call directly (/validate, /userinfo): only the configured SPA
 * origin(s) are echoed back, credentials are not allowed (tokens travel in the Authorization
 * header, not cookies), and everything else gets no CORS headers at all.
 */
export function corsPlugin(origins: string[], paths: string[]) {
  const allowed = new Set(origins);
  const covered = new Set(paths);
  return new Elysia({ name: 'zitauth/cors', seed: paths })
    .onRequest(({ request, set }) => {
      const origin = request.headers.get('origin');
      if (!origin) return;
      const path = new URL(request.url).pathname;
      if (!covered.has(path)) return;
      if (!applyCors(origin, allowed, set.headers)) {
        // Preflight from a foreign origin: no CORS headers, so the browser refuses; the body is the
        // usual JSON error, like every other refusal.
        if (request.method === 'OPTIONS') return foreignPreflight();
        return;
      }
      if (request.method === 'OPTIONS') {
        return new Response(null, {
          status: 204,
          headers: {
            'access-control-allow-origin': origin,
            'access-control-allow-methods': 'GET, OPTIONS',
            'access-control-allow-headers': 'Authorization, Content-Type, X-Request-Id',
            'access-control-max-age': '600',
            vary: 'Origin',
          },
        });
      }
    })
    .as('global');
}

/**
 * Sets the CORS response headers for a request from `origin` on a covered route; returns whether
 * the origin is allowed. Shared by the plugin and the native /validate route.
 */
export function applyCors(origin: string, allowed: Set<string>, headers: Record<string, string | number>): boolean {
  headers['vary'] = 'Origin';
  if (!allowed.has(origin)) return false;
  headers['access-control-allow-origin'] = origin;
  return true;
}

/** 403 for a preflight from an origin that is not allowed. */
export function foreignPreflight(): Response {
  return new Response(JSON.stringify({ error: 'access_denied', error_description: 'This origin is not allowed to call this route.' }), {
    status: 403,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', vary: 'Origin' },
  });
}
