/**
 * The Traefik and Caddy examples are documentation, not run here (no binaries in CI), but their
 * shape is checked against the gateway: every address/uri is the forward-auth route with query
 * parameters it accepts, and every copied header is one the gateway really sets — statically,
 * and then live in both configuration modes, calling each address the way the proxy would for
 * a user named 山田太郎 <josé@exämple.com> with role 管理者.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identityHeaders } from '../../src/http/validate/index.ts';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { EMAIL, fromHeader, HOSTILE_CLAIMS, NAME, ROLE, USERNAME } from '../support/hostile.ts';

const root = join(import.meta.dir, '../../examples');
const EMITTED = new Set(
  Object.keys(
    identityHeaders(
      { sub: 's', email: 'e', preferred_username: 'p', 'urn:zitadel:iam:org:project:roles': { admin: { o: 'd' } } },
      {},
    ),
  ),
);
const QUERY_KEYS = new Set(['role', 'scope', 'aud', 'redirect']);

/** Every forward-auth call the examples configure: the address (path + query) and the headers copied on 2xx. */
function exampleCalls(): { where: string; address: string; copied: string[] }[] {
  const doc = Bun.YAML.parse(readFileSync(join(root, 'traefik/dynamic.yml'), 'utf8')) as any;
  const traefik = Object.entries(doc.http.middlewares as Record<string, any>).map(([name, m]) => ({
    where: `traefik ${name}`,
    address: m.forwardAuth.address as string,
    copied: m.forwardAuth.authResponseHeaders as string[],
  }));
  const caddy = readFileSync(join(root, 'caddy/Caddyfile'), 'utf8');
  const blocks = [...caddy.matchAll(/^\s*uri\s+(\S+)\s*\n\s*copy_headers\s+(.+)$/gm)].map((m, i) => ({
    where: `caddy forward_auth #${i + 1}`,
    address: m[1]!,
    copied: m[2]!.trim().split(/\s+/),
  }));
  return [...traefik, ...blocks];
}

function checkForwardAuthUrl(raw: string) {
  const u = new URL(raw, 'http://zitauth:8000');
  expect(u.pathname).toBe('/api/v1/forward-auth');
  for (const [k, v] of u.searchParams) {
    expect(QUERY_KEYS.has(k)).toBe(true);
    if (k === 'redirect') expect(v).toBe('login');
  }
}

describe('examples/traefik/dynamic.yml', () => {
  const doc = Bun.YAML.parse(readFileSync(join(root, 'traefik/dynamic.yml'), 'utf8')) as any;
  const middlewares = doc.http.middlewares as Record<string, any>;

  test('every forwardAuth middleware targets forward-auth and copies real identity headers', () => {
    expect(Object.keys(middlewares).length).toBeGreaterThan(0);
    for (const m of Object.values(middlewares)) {
      checkForwardAuthUrl(m.forwardAuth.address);
      expect(m.forwardAuth.authResponseHeaders.length).toBeGreaterThan(0);
      for (const h of m.forwardAuth.authResponseHeaders) expect(EMITTED.has(h.toLowerCase())).toBe(true);
      expect(m.forwardAuth.trustForwardHeader ?? false).toBe(false);
    }
  });

  test('routers use defined middlewares and services', () => {
    for (const r of Object.values(doc.http.routers) as any[]) {
      for (const m of r.middlewares) expect(middlewares[m]).toBeDefined();
      expect(doc.http.services[r.service]).toBeDefined();
    }
  });
});

describe('examples/caddy/Caddyfile', () => {
  const text = readFileSync(join(root, 'caddy/Caddyfile'), 'utf8');
  test('forward_auth uris and copied headers', () => {
    const uris = [...text.matchAll(/^\s*uri\s+(\S+)/gm)].map((m) => m[1]!);
    expect(uris.length).toBeGreaterThan(0);
    for (const u of uris) checkForwardAuthUrl(u);
    const copied = [...text.matchAll(/^\s*copy_headers\s+(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
    expect(copied.length).toBeGreaterThan(0);
    for (const h of copied) expect(EMITTED.has(h.toLowerCase())).toBe(true);
  });
});

describe.each(CONFIG_MODES)('the examples\' forward-auth calls against a live gateway (%s endpoints)', (mode) => {
  let stack: Stack;
  const APP = 'https://app.example.com';
  beforeAll(async () => {
    stack = await startStack({ mode, env: { ZITAUTH_RETURN_TO_ORIGINS: APP } });
  });
  afterAll(() => stack.close());
  /** What Traefik and Caddy add to the client's own headers. */
  const forwarded = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': `/admin/${encodeURIComponent(NAME)}` };

  test('every call answers 200 with each copied header set, non-ASCII values intact as UTF-8 bytes', async () => {
    const calls = exampleCalls();
    expect(calls.length).toBeGreaterThanOrEqual(5);
    const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
    const expected: Record<string, (v: string | null) => void> = {
      'x-auth-request-user': (v) => expect(v).toBeTruthy(),
      'x-auth-request-email': (v) => expect(fromHeader(v)).toBe(EMAIL),
      'x-auth-request-preferred-username': (v) => expect(fromHeader(v)).toBe(USERNAME),
      'x-auth-request-roles': (v) => expect(fromHeader(v)!.split(',').sort()).toEqual(['admin', ROLE].sort()),
    };
    for (const c of calls) {
      const u = new URL(c.address, 'http://zitauth:8000');
      const res = await fetch(`${stack.url}${u.pathname}${u.search}`, { redirect: 'manual', headers: { ...forwarded, accept: 'text/html', authorization: `Bearer ${token}` } });
      expect(`${c.where} ${res.status}`).toBe(`${c.where} 200`);
      for (const h of c.copied) {
        const check = expected[h.toLowerCase()];
        expect(check ? h : `${h}: no expectation`).toBe(h);
        expect(`${c.where} ${h} ${res.headers.has(h)}`).toBe(`${c.where} ${h} true`);
        check!(res.headers.get(h));
      }
    }
  });

  test('without a token: the redirect=login calls send a browser to the login (302), the others answer 401', async () => {
    for (const c of exampleCalls()) {
      const u = new URL(c.address, 'http://zitauth:8000');
      const res = await fetch(`${stack.url}${u.pathname}${u.search}`, { redirect: 'manual', headers: { ...forwarded, accept: 'text/html' } });
      const browser = u.searchParams.get('redirect') === 'login';
      expect(`${c.where} ${res.status}`).toBe(`${c.where} ${browser ? 302 : 401}`);
      if (browser) expect(new URL(res.headers.get('location')!).searchParams.get('return_to')).toBe(`${APP}/admin/${encodeURIComponent(NAME)}`);
    }
  });
});
