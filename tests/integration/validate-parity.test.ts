/**
 * The native token routes (Bun's router) against the framework routes (Elysia, `app.handle`):
 * one table of requests — valid tokens, each failure, requirements, CORS, HEAD, odd query
 * strings — sent through the served HTTP route and through `app.handle`, with the same status,
 * body and headers expected from both (style habit 12: a fast copy is tested against the original).
 * Plus a check that served traffic really reached the native handlers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ORG, ROLES_CLAIM } from '../support/hostile.ts';
import { CONFIG_MODES, SPA_ORIGIN, startStack, type Stack } from '../support/stack.ts';

/** Headers that differ per response for reasons unrelated to the route. */
const VOLATILE = new Set(['date', 'content-length']);

interface Row {
  name: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** The gateway makes up a request id for this row: compare it by shape, not value. */
  newId?: boolean;
}

async function snapshot(res: Response, newId = false) {
  const headers = [...res.headers]
    .filter(([k]) => !VOLATILE.has(k))
    .map(([k, v]): [string, string] => (newId && k === 'x-request-id' ? [k, /^[0-9a-f]{8}-[0-9a-z]+$/.test(v) ? 'generated' : v] : [k, v]))
    .sort(([a], [b]) => a.localeCompare(b));
  return { status: res.status, headers, body: await res.text() };
}

describe.each(CONFIG_MODES)('native routes = framework routes (%s endpoints)', (mode) => {
  let stack: Stack;
  const calls: Record<string, number> = {};
  const rows: Row[] = [];

  beforeAll(async () => {
    stack = await startStack({ mode, env: { ZITAUTH_RETURN_TO_ORIGINS: 'https://app.example.test', ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS: 'name=X-Auth-Request-Name' } });
    // Count calls of the native handlers the served app holds (proves real traffic reached them).
    const routes = (stack.app as unknown as { config: { serve: { routes: Record<string, { GET: (r: Request) => unknown }> } } }).config.serve.routes;
    for (const [path, r] of Object.entries(routes)) {
      const inner = r.GET;
      r.GET = (req) => {
        calls[path] = (calls[path] ?? 0) + 1;
        return inner(req);
      };
    }
    stack.app.server!.reload({ ...(stack.app.server as unknown as { routes?: object }), routes } as never);

    const idp = stack.idp;
    const user = await idp.mintAccessToken({ claims: { name: '山田太郎', preferred_username: 'yamada', [ROLES_CLAIM]: { 管理者: ORG, admin: ORG } } });
    const expired = await idp.mintAccessToken({ expiresInSec: -120 });
    const foreignAud = await idp.mintAccessToken({ claims: { aud: ['someone-else'] } });
    const unknownKid = await idp.mintAccessToken({ kid: 'no-such-kid' });
    const [h, p, sig] = user.split('.') as [string, string, string];
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'mallory' })).toString('base64url')}.${sig}`;
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    for (const path of ['/api/v1/validate', '/api/v1/forward-auth']) {
      rows.push(
        { name: 'valid (miss)', path, headers: bearer(user) },
        { name: 'valid (hit)', path, headers: bearer(user) },
        { name: 'lower-case scheme', path, headers: { authorization: `bearer ${user}` } },
        { name: 'no Authorization', path },
        { name: 'Basic', path, headers: { authorization: 'Basic Zm9vOmJhcg==' } },
        { name: 'empty bearer', path, headers: { authorization: 'Bearer ' } },
        { name: 'junk charset', path, headers: { authorization: 'Bearer a"b<c>' } },
        { name: 'oversized', path, headers: bearer('a'.repeat(9000)) },
        { name: 'not a JWT', path, headers: bearer('eyJhbGciOiJSUzI1NiJ9.e30.c2ln') },
        { name: 'tampered payload', path, headers: bearer(tampered) },
        { name: 'expired', path, headers: bearer(expired) },
        { name: 'foreign audience', path, headers: bearer(foreignAud) },
        { name: 'unknown kid', path, headers: bearer(unknownKid) },
        { name: 'role ok', path: `${path}?role=admin`, headers: bearer(user) },
        { name: 'unicode role ok', path: `${path}?role=${encodeURIComponent('管理者')}`, headers: bearer(user) },
        { name: 'role unmet', path: `${path}?role=nope`, headers: bearer(user) },
        { name: 'comma list', path: `${path}?role=nope,admin`, headers: bearer(user) },
        { name: 'encoded comma', path: `${path}?role=nope%2Cadmin`, headers: bearer(user) },
        { name: 'repeated + other params', path: `${path}?role=nope&role=admin&x=1&ROLE=y`, headers: bearer(user) },
        { name: 'empty role', path: `${path}?role=`, headers: bearer(user) },
        { name: 'bare role', path: `${path}?role`, headers: bearer(user) },
        { name: 'trailing comma', path: `${path}?role=admin,`, headers: bearer(user) },
        { name: 'overlong role', path: `${path}?role=${'r'.repeat(257)}`, headers: bearer(user) },
        { name: 'malformed escape', path: `${path}?role=%zz`, headers: bearer(user) },
        { name: 'plus is space', path: `${path}?aud=a+b`, headers: bearer(user) },
        { name: 'emoji scope', path: `${path}?scope=${encodeURIComponent('🦄')}`, headers: bearer(user) },
        { name: 'CRLF in aud', path: `${path}?aud=${encodeURIComponent('x\r\ny')}`, headers: bearer(user) },
        { name: 'aud ok', path: `${path}?aud=${idp.projectId}`, headers: bearer(user) },
        { name: 'allowed Origin', path, headers: { ...bearer(user), origin: SPA_ORIGIN } },
        { name: 'foreign Origin', path, headers: { ...bearer(user), origin: 'https://evil.example' } },
        { name: 'HEAD valid', path, method: 'HEAD', headers: bearer(user) },
        { name: 'HEAD without token', path, method: 'HEAD' },
        { name: 'caller request id kept', path, headers: { ...bearer(user), 'x-request-id': 'caller.Req-1:a_b' } },
        { name: 'malformed caller request id replaced', path, headers: { ...bearer(user), 'x-request-id': 'réq id' }, newId: true },
      );
    }
    const browser = { accept: 'text/html', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/dash?x=1' };
    rows.push(
      { name: 'redirect=login, browser', path: '/api/v1/forward-auth?redirect=login', headers: browser },
      { name: 'redirect=login, foreign host', path: '/api/v1/forward-auth?redirect=login', headers: { ...browser, 'x-forwarded-host': 'evil.example' } },
      { name: 'redirect=login, API client', path: '/api/v1/forward-auth?redirect=login', headers: { ...browser, accept: 'application/json' } },
      { name: 'redirect=logout', path: '/api/v1/forward-auth?redirect=logout', headers: browser },
      { name: 'redirect=login with a token', path: '/api/v1/forward-auth?redirect=login', headers: { ...browser, ...bearer(user) } },
      { name: 'preflight, allowed', path: '/api/v1/validate', method: 'OPTIONS', headers: { origin: SPA_ORIGIN, 'access-control-request-method': 'GET' } },
      { name: 'preflight, foreign', path: '/api/v1/validate', method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } },
    );
  });
  afterAll(() => stack.close());

  test('every row: same status, headers and body through the native route and app.handle', async () => {
    const mismatches: string[] = [];
    for (const [i, row] of rows.entries()) {
      // The same request id for both, so the generated one cannot differ.
      const headers = { 'x-request-id': `parity-${i}`, ...row.headers };
      const init = { method: row.method ?? 'GET', headers, redirect: 'manual' as const };
      const served = await snapshot(await fetch(`${stack.url}${row.path}`, init), row.newId);
      const handled = await snapshot(await stack.app.handle(new Request(`http://127.0.0.1${row.path}`, init)), row.newId);
      try {
        expect(served).toEqual(handled);
      } catch {
        mismatches.push(`${row.path} ${row.name}:\n  served  ${JSON.stringify(served)}\n  handled ${JSON.stringify(handled)}`);
      }
      // Sanity: nothing in the table is a 5xx.
      if (served.status >= 500) mismatches.push(`${row.name}: ${served.status}`);
    }
    expect(mismatches).toEqual([]);
  });

  test('served GETs reached the native handlers, not Elysia', () => {
    const gets = (p: string) => rows.filter((r) => (r.method ?? 'GET') !== 'OPTIONS' && r.path.startsWith(p)).length;
    expect(calls['/api/v1/validate']).toBe(gets('/api/v1/validate'));
    expect(calls['/api/v1/forward-auth']).toBe(gets('/api/v1/forward-auth'));
  });
});
