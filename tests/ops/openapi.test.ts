/**
 * The OpenAPI document at /swagger/json describes every route completely, and /swagger works
 * offline: every asset it references is served by the gateway itself. The document is checked
 * once (it does not depend on how the IdP's endpoints are configured — asserted below in both
 * configuration modes, together with the live routes after serving it).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { expectCleanRefusal, HOSTILE_CLAIMS, HOSTILE_VALUES, ROLE } from '../support/hostile.ts';

type Json = Record<string, any>;
let stack: Stack;
let spec: Json;
beforeAll(async () => {
  stack = await startStack();
  const res = await fetch(`${stack.url}/swagger/json`);
  expect(res.status).toBe(200);
  spec = (await res.json()) as Json;
});
afterAll(() => stack?.close());

const ROUTES: [string, string][] = [
  ['get', '/api/v1/login'],
  ['get', '/api/v1/callback'],
  ['get', '/api/v1/logout'],
  ['get', '/api/v1/m2m-token'],
  ['post', '/api/v1/m2m-token'],
  ['get', '/api/v1/validate'],
  ['get', '/api/v1/forward-auth'],
  ['get', '/api/v1/userinfo'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
];
const op = (method: string, path: string): Json => spec.paths?.[path]?.[method];
const operations = () =>
  Object.entries(spec.paths as Json).flatMap(([path, item]) => Object.entries(item as Json).map(([method, o]) => ({ path, method, o: o as Json })));

describe('/swagger/json', () => {
  test('is OpenAPI 3 with title and version', () => {
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.info.title).toBe('ZitAuth');
    expect(spec.info.version).toBeTruthy();
  });

  test.each(ROUTES)('lists %s %s', (method, path) => {
    expect(op(method, path)).toBeDefined();
    expect(op(method, path).summary).toBeTruthy();
    expect(op(method, path).tags?.length).toBeGreaterThan(0);
  });

  test('lists no internal routes (docs assets, SPA)', () => {
    for (const p of Object.keys(spec.paths)) expect(p).not.toMatch(/^\/swagger|^\/spa|^\/$/);
  });

  test('operation ids are unique', () => {
    const ids = operations().map((x) => x.o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('every declared status has a description, and a schema unless it is a redirect', () => {
    for (const { path, method, o } of operations()) {
      const responses = o.responses as Json;
      expect(Object.keys(responses).length).toBeGreaterThan(0);
      for (const [status, r] of Object.entries(responses) as [string, Json][]) {
        const where = `${method} ${path} ${status}`;
        expect(typeof r.description === 'string' && r.description.length > 0 ? where : `${where}: no description`).toBe(where);
        if (status.startsWith('3')) {
          expect(r.headers?.Location?.schema ? where : `${where}: no Location header`).toBe(where);
          continue;
        }
        const content = r.content as Json | undefined;
        expect(content && Object.keys(content).length > 0 ? where : `${where}: no content`).toBe(where);
        for (const [type, media] of Object.entries(content!) as [string, Json][]) {
          expect(media.schema ? where : `${where} ${type}: no schema`).toBe(where);
        }
      }
    }
  });

  test('JSON routes declare only application/json; /metrics declares text/plain', () => {
    for (const { path, method, o } of operations()) {
      for (const [status, r] of Object.entries(o.responses as Json) as [string, Json][]) {
        if (!r.content) continue;
        const types = Object.keys(r.content);
        expect(`${method} ${path} ${status}: ${types}`).toBe(`${method} ${path} ${status}: ${path === '/metrics' ? 'text/plain' : 'application/json'}`);
      }
    }
  });

  test('every response with a body has an example (errors show their RFC error code)', () => {
    const expected: Record<string, string[]> = {
      '400': ['invalid_request'],
      '401': ['invalid_token', 'invalid_client', 'login_required'],
      '403': ['insufficient_scope', 'access_denied'],
      '502': ['server_error'],
      '503': ['temporarily_unavailable'],
      '504': ['server_error'],
    };
    for (const { path, method, o } of operations()) {
      for (const [status, r] of Object.entries(o.responses as Json) as [string, Json][]) {
        if (!r.content) continue;
        for (const [type, media] of Object.entries(r.content as Json) as [string, Json][]) {
          const where = `${method} ${path} ${status} ${type}`;
          const example = media.example ?? Object.values((media.examples ?? {}) as Json)[0]?.value;
          expect(example !== undefined ? where : `${where}: no example`).toBe(where);
          // /readyz and /api/v1/session answer 503/401 with their own body, not an RFC error.
          const ownBody = (path === '/readyz' && status === '503') || (path === '/api/v1/session' && status === '401');
          if (!ownBody && expected[status]) expect(expected[status]).toContain(example.error);
        }
        // examples belong in the media type (OpenAPI 3.0), not on the response object
        expect(r.examples).toBeUndefined();
      }
    }
  });

  test('schemas use OpenAPI 3.0 keywords only (no const, no examples arrays)', () => {
    const bad: string[] = [];
    const walk = (node: unknown, at: string, inSchema: boolean) => {
      if (!node || typeof node !== 'object') return;
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`, inSchema));
      for (const [k, v] of Object.entries(node as Json)) {
        if (inSchema && k === 'const') bad.push(`${at}.const`);
        if (inSchema && k === 'examples' && Array.isArray(v)) bad.push(`${at}.examples`);
        walk(v, `${at}.${k}`, inSchema || k === 'schema' || k === 'schemas');
      }
    };
    walk(spec.paths, 'paths', false);
    walk(spec.components, 'components', false);
    expect(bad).toEqual([]);
  });

  test('bearer security scheme exists and protects validate, forward-auth, userinfo', () => {
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const p of ['/api/v1/validate', '/api/v1/forward-auth', '/api/v1/userinfo']) {
      expect(op('get', p).security).toEqual([{ bearer: [] }]);
    }
    for (const m of ['get', 'post']) expect(op(m, '/api/v1/m2m-token').security).toEqual([{ apiKey: [] }]);
    expect(spec.components.securitySchemes.apiKey).toBeDefined();
    // the browser flow and ops endpoints need no credentials
    for (const p of ['/api/v1/login', '/api/v1/callback', '/healthz', '/readyz', '/metrics']) expect(op('get', p).security).toBeUndefined();
  });

  test('every security requirement names a declared scheme; every tag is declared', () => {
    const schemes = new Set(Object.keys(spec.components.securitySchemes));
    const tags = new Set((spec.tags as Json[]).map((t) => t.name));
    for (const { o } of operations()) {
      for (const req of (o.security ?? []) as Json[]) for (const k of Object.keys(req)) expect(schemes.has(k)).toBe(true);
      for (const t of o.tags ?? []) expect(tags.has(t)).toBe(true);
    }
  });

  test('forward-auth documents its requirement and redirect parameters', () => {
    const names = (op('get', '/api/v1/forward-auth').parameters as Json[]).filter((p) => p.in === 'query').map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['role', 'scope', 'aud', 'redirect']));
  });

  test('is served as JSON', async () => {
    const res = await fetch(`${stack.url}/swagger/json`);
    expect(res.headers.get('content-type')).toContain('application/json');
  });
});

describe.each(CONFIG_MODES)('/swagger/json against live routes (%s endpoints)', (mode) => {
  let live: Stack;
  beforeAll(async () => {
    live = await startStack({ mode });
  });
  afterAll(() => live?.close());

  test('regression: serving the spec leaves the live routes and the next spec unchanged', async () => {
    const first = (await (await fetch(`${live.url}/swagger/json`)).json()) as Json;
    const again = (await (await fetch(`${live.url}/swagger/json`)).json()) as Json;
    expect(again).toEqual(first);
    // The same document whatever the configuration mode.
    expect(first).toEqual(spec);
    expect((await fetch(`${live.url}/api/v1/login`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${live.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${live.url}/readyz`)).status).toBe(200);
    const token = await live.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
    expect((await fetch(`${live.url}/api/v1/validate?role=${encodeURIComponent(ROLE)}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  test('hostile values answer what the spec declares: a declared 4xx with the documented error codes', async () => {
    const token = await live.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
    for (const value of HOSTILE_VALUES) {
      const q = encodeURIComponent(value);
      for (const [method, path, query] of [
        ['get', '/api/v1/validate', `role=${q}`],
        ['get', '/api/v1/forward-auth', `scope=${q}`],
        ['get', '/api/v1/login', `prompt=${q}`],
        ['get', '/api/v1/logout', `post_logout_redirect_uri=${q}`],
        ['get', '/api/v1/callback', `state=${q}&code=c`],
      ] as const) {
        const res = await fetch(`${live.url}${path}?${query}`, { redirect: 'manual', headers: { authorization: `Bearer ${token}` } });
        const where = `${path}?${query}`;
        const body = await expectCleanRefusal(res, [value], where);
        const declared = op(method, path).responses?.[String(res.status)] as Json | undefined;
        expect(declared ? where : `${where}: ${res.status} not declared`).toBe(where);
        expect(declared!.content['application/json'].schema).toBeDefined();
        // The RFC codes the spec's examples use for these statuses.
        expect({ 400: ['invalid_request'], 403: ['insufficient_scope'] }[res.status as 400 | 403] ?? []).toContain(body.error);
      }
    }
  });
});

describe('/swagger (offline UI)', () => {
  let html: string;
  let res: Response;
  beforeAll(async () => {
    res = await fetch(`${stack.url}/swagger`);
    html = await res.text();
  });

  test('200 HTML', () => {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
  });

  test('references no other host', () => {
    const urls = html.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];
    expect(urls).toEqual([]);
    expect(html).not.toMatch(/(src|href)=["']\/\//);
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script (CSP script-src 'self')
  });

  test('every referenced asset is served with a JS/CSS content type', async () => {
    const refs = [...html.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const ref of refs) {
      const url = new URL(ref, `${stack.url}/swagger`);
      expect(url.origin).toBe(stack.url);
      const a = await fetch(url);
      expect(`${ref} ${a.status}`).toBe(`${ref} 200`);
      const type = a.headers.get('content-type') ?? '';
      expect(type).toMatch(ref.endsWith('.css') ? /^text\/css/ : /^(text|application)\/javascript/);
      expect(a.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await a.arrayBuffer()).byteLength).toBeGreaterThan(10);
    }
  });

  test('the UI script points at the same-origin spec', async () => {
    const init = await (await fetch(`${stack.url}/swagger/assets/init.js`)).text();
    expect(init).toContain("'/swagger/json'");
  });

  test('unknown assets → 404 JSON', async () => {
    const a = await fetch(`${stack.url}/swagger/assets/../../etc/passwd`);
    expect(a.status).toBe(404);
    const b = await fetch(`${stack.url}/swagger/assets/nope.js`);
    expect(b.status).toBe(404);
  });
});
