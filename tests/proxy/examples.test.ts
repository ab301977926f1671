/**
 * The Traefik and Caddy examples are documentation, not run here (no binaries in CI), but their
 * shape is checked against the gateway: every address/uri is the forward-auth route with query
 * parameters it accepts, and every copied header is one the gateway really sets.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identityHeaders } from '../../src/http/validate/index.ts';

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
