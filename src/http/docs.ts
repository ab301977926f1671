import { Elysia } from 'elysia';
import { swagger } from '@elysiajs/swagger';
// Embedded in the compiled binary (Bun's file imports): the docs UI must load with no internet.
import bundleJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import uiCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };

// A Map: the file name is user input, and an object literal answers `constructor` (regression: 500).
const ASSETS: ReadonlyMap<string, { path: string; type: string }> = new Map([
  ['swagger-ui-bundle.js', { path: bundleJs, type: 'text/javascript; charset=utf-8' }],
  ['swagger-ui.css', { path: uiCss, type: 'text/css; charset=utf-8' }],
]);

/** The docs page: swagger-ui from the binary, pointed at our spec; inline script kept out (CSP). */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ZitAuth API</title>
<link rel="stylesheet" href="/swagger/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/swagger/assets/swagger-ui-bundle.js"></script>
<script src="/swagger/assets/init.js"></script>
</body>
</html>`;

const INIT_JS = `window.ui = SwaggerUIBundle({ url: '/swagger/json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null });`;

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

type Json = Record<string, any>;

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '302': 'Found: a redirect; see the Location header',
  '400': 'invalid_request: missing or malformed parameters or Authorization header',
  '401': 'Unauthenticated: no valid token or credentials (WWW-Authenticate carries the RFC 6750 challenge)',
  '403': 'Forbidden: the token or key lacks a required role, scope or audience',
  '502': 'The identity provider failed or answered unexpectedly',
  '503': 'Temporarily unavailable (identity provider down or feature not configured); see Retry-After',
  '504': 'The identity provider did not answer in time',
};

/** The RFC error code each status carries on a given route, for the generated examples. */
function errorExample(path: string, status: string): Json | undefined {
  const m2m = path.startsWith('/api/v1/m2m-token');
  const session = path.startsWith('/api/v1/session') || path.startsWith('/api/v1/proxy');
  const byStatus: Record<string, [string, string]> = {
    '400': ['invalid_request', 'Malformed Authorization header (expected "Bearer <token>").'],
    '401': m2m ? ['invalid_client', 'A valid API key is required.'] : session ? ['login_required', 'No valid session: log in again.'] : ['invalid_token', 'The token has expired.'],
    '403': m2m
      ? ['access_denied', 'This client may not request M2M tokens.']
      : session
        ? ['access_denied', 'This request needs the header "X-CSRF: 1".']
        : ['insufficient_scope', 'The token lacks a required role.'],
    '502': ['server_error', 'The identity provider could not be reached.'],
    '503': ['temporarily_unavailable', 'The identity provider metadata could not be loaded.'],
    '504': ['server_error', 'The identity provider did not answer in time.'],
  };
  const e = byStatus[status];
  return e && { error: e[0], error_description: e[1] };
}

/** An example value built from a JSON schema: explicit examples first, then const/default/type. */
function exampleOf(schema: Json | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return undefined;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (schema.anyOf?.length) return exampleOf(schema.anyOf[0], depth + 1);
  switch (schema.type) {
    case 'object': {
      const out: Json = {};
      for (const [k, v] of Object.entries((schema.properties ?? {}) as Json)) {
        const ex = exampleOf(v, depth + 1);
        if (ex !== undefined) out[k] = ex;
      }
      return out;
    }
    case 'array':
      return [exampleOf(schema.items, depth + 1)].filter((x) => x !== undefined);
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return true;
  }
  return undefined;
}

/**
 * JSON Schema 2020 keywords TypeBox emits that OpenAPI 3.0 schemas do not know: `const`
 * becomes a one-value `enum`, an `examples` array its first `example`.
 */
function toOas30Schema(schema: unknown): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Json;
  if ('const' in s) {
    s.enum ??= [s.const];
    delete s.const;
  }
  if (Array.isArray(s.examples)) {
    if (s.examples.length) s.example ??= s.examples[0];
    delete s.examples;
  }
  for (const v of Object.values((s.properties ?? {}) as Json)) toOas30Schema(v);
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) if (Array.isArray(s[k])) s[k].forEach(toOas30Schema);
  toOas30Schema(s.items);
  if (typeof s.additionalProperties === 'object') toOas30Schema(s.additionalProperties);
}

/**
 * Finishes the document @elysiajs/swagger generates, which is not quite valid OpenAPI 3.0:
 * responses lack the required `description`, JSON bodies are also declared as form data and
 * plain text, object-level `examples` land on the response object, and redirects do not say
 * where they go. Edits `spec` in place: pass a copy (its schemas are the routes' own objects).
 */
export function polishOpenApi(spec: Json): Json {
  for (const [path, item] of Object.entries((spec.paths ?? {}) as Json)) {
    for (const op of Object.values(item as Json) as Json[]) {
      for (const [status, r] of Object.entries((op.responses ?? {}) as Json) as [string, Json][]) {
        const responseExamples = Array.isArray(r.examples) ? r.examples : undefined;
        delete r.examples;
        if (!r.description) r.description = STATUS_TEXT[status] ?? 'Response';
        if (status.startsWith('3')) {
          delete r.content;
          r.headers ??= { Location: { description: 'Where the browser goes next', schema: { type: 'string', format: 'uri' } } };
          continue;
        }
        if (path === '/metrics') {
          r.content = {
            'text/plain': {
              schema: { type: 'string', description: 'Prometheus text exposition format 0.0.4' },
              example: '# TYPE zitauth_http_requests_total counter\nzitauth_http_requests_total{route="/api/v1/validate",status="200"} 42\n',
            },
          };
          continue;
        }
        const json = r.content?.['application/json'];
        if (!json?.schema) continue;
        r.content = { 'application/json': json };
        const props = json.schema.properties as Json | undefined;
        const isError = !!props?.error && !!props?.error_description && Number(status) >= 400;
        json.example ??= (isError && errorExample(path, status)) || responseExamples?.[0] || exampleOf(json.schema);
      }
      for (const r of Object.values((op.responses ?? {}) as Json) as Json[]) {
        for (const media of Object.values((r.content ?? {}) as Json) as Json[]) toOas30Schema(media.schema);
      }
      for (const param of (op.parameters ?? []) as Json[]) toOas30Schema(param.schema);
      for (const media of Object.values((op.requestBody?.content ?? {}) as Json) as Json[]) toOas30Schema(media.schema);
    }
  }
  for (const schema of Object.values((spec.components?.schemas ?? {}) as Json)) toOas30Schema(schema);
  return spec;
}

/**
 * Why still @elysiajs/swagger and not its successor @elysiajs/openapi (evaluated with 1.4.16):
 * the successor's document needs the same fix-ups (no examples or Location headers, TypeBox
 * keywords, and a `t.Void` redirect becomes an invalid `content: { type: 'void' }`), and its UI
 * pages load from a CDN with inline scripts, so this page and its embedded assets stay either
 * way. With polishOpenApi it passes tests/ops/openapi.test.ts too: switching is a small change
 * when the old plugin stops working with Elysia.
 *
 * OpenAPI at /swagger/json (generated by @elysiajs/swagger from the routes' TypeBox schemas)
 * and a swagger-ui page at /swagger. The plugin's own page loads its UI from a CDN, so our
 * route, registered after it, replaces that page with one served from embedded assets.
 */
export function docsRoutes(version: string) {
  return new Elysia({ name: 'zitauth/docs' })
    .onAfterHandle(({ request, responseValue }) => {
      if (new URL(request.url).pathname === '/swagger/json' && responseValue && typeof responseValue === 'object') {
        // A deep copy: the generated document shares schema objects with the live routes'
        // validators, which must never see these edits.
        return polishOpenApi(JSON.parse(JSON.stringify(responseValue)) as Json);
      }
    })
    .use(
      swagger({
        path: '/swagger',
        specPath: '/swagger/json',
        provider: 'swagger-ui',
        exclude: ['/swagger', '/swagger/json', /^\/swagger\/assets/, /^\/spa/, '/'],
        documentation: {
          info: {
            title: 'ZitAuth',
            version,
            description:
              'Authentication gateway for Zitadel: browser login (code + PKCE), token validation, forward-auth, userinfo and M2M tokens.',
          },
          tags: [
            { name: 'Login', description: 'Browser login flow' },
            { name: 'Tokens', description: 'Validation, forward-auth and userinfo' },
            { name: 'M2M', description: 'Service-user tokens' },
            { name: 'Session', description: 'Session mode (backend for frontend): the session, its logout, the API proxy' },
            { name: 'Operations', description: 'Health, readiness and metrics' },
          ],
          components: {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Zitadel access token' },
              apiKey: { type: 'http', scheme: 'bearer', description: 'A ZitAuth M2M API key (ZITAUTH_M2M_API_KEYS)' },
            },
          },
        },
      }),
    )
    .get(
      '/swagger',
      () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } }),
      { detail: { hide: true } },
    )
    .get('/swagger/assets/init.js', () => new Response(INIT_JS, { headers: { 'content-type': 'text/javascript; charset=utf-8', 'x-content-type-options': 'nosniff' } }), {
      detail: { hide: true },
    })
    .get(
      '/swagger/assets/:file',
      ({ params, status }) => {
        const asset = ASSETS.get(params.file);
        if (!asset) return status(404, { error: 'not_found', error_description: 'No such asset.' });
        return new Response(Bun.file(asset.path), {
          headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff' },
        });
      },
      { detail: { hide: true } },
    );
}
