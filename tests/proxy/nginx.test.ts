/**
 * The nginx example (examples/nginx/zitauth.conf) against a real nginx, the real gateway and
 * the dev IdP, in both configuration modes: auth_request → /api/v1/forward-auth, identity
 * headers reach the app (a user named 山田太郎 <josé@exämple.com> with role 管理者 arrives intact,
 * as UTF-8 bytes), 401/403 never reach it, hostile Authorization values are refused, and
 * browsers without a token are sent to the login via error_page.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemTool } from '../support/system-tool.ts';
import { CONFIG_MODES, freePort, startStack, type Stack } from '../support/stack.ts';
import { asHeader, EMAIL, fromHeader, HOSTILE_CLAIMS, HOSTILE_CREDS, HOSTILE_USER, NAME, ORG, ROLE, ROLES_CLAIM } from '../support/hostile.ts';
import { findNginx, instantiateExample, startNginx, type RunningNginx } from './nginx-runner.ts';
import { browserLoginGateway } from './gateway.ts';

const EXAMPLE = join(import.meta.dir, '../../examples/nginx/zitauth.conf');
const nginxBin = systemTool(findNginx() ?? 'nginx', 'nginx', 'tests/proxy/nginx.test.ts') ? findNginx() : undefined;

interface Seen {
  path: string;
  headers: Record<string, string>;
}

describe.skipIf(!nginxBin)('nginx auth_request with the shipped example', () => {
  describe.each(CONFIG_MODES)('%s endpoints', (mode) => {
    let stack: Stack;
    let nginx: RunningNginx;
    let upstream: ReturnType<typeof Bun.serve>;
    let gateway: { url: string; stop(): Promise<void> };
    const seen: Seen[] = [];
    const nginxPort = freePort();
    const nginxOrigin = `http://127.0.0.1:${nginxPort}`;

    beforeAll(async () => {
      stack = await startStack({ mode, env: { ZITAUTH_RETURN_TO_ORIGINS: nginxOrigin }, idp: { users: [HOSTILE_USER] } });
      gateway = await browserLoginGateway(stack, `${nginxOrigin}/app/`);
      upstream = Bun.serve({
        port: 0,
        hostname: '127.0.0.1',
        fetch(req) {
          const headers = Object.fromEntries(req.headers);
          seen.push({ path: new URL(req.url).pathname, headers });
          return Response.json({ path: new URL(req.url).pathname, headers });
        },
      });
      const config = instantiateExample(readFileSync(EXAMPLE, 'utf8'), {
        gateway: new URL(gateway.url).host,
        app: `127.0.0.1:${upstream.port}`,
        port: nginxPort,
      });
      nginx = await startNginx(nginxBin!, config, nginxPort);
      seen.length = 0;
    });

    afterAll(async () => {
      await nginx?.stop();
      upstream?.stop(true);
      await gateway?.stop();
      await stack?.close();
    });

    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${nginx.url}${path}`, { headers, redirect: 'manual' });

    test('no token → 401, the app is not called', async () => {
      const before = seen.length;
      const res = await get('/orders');
      expect(res.status).toBe(401);
      expect(seen.length).toBe(before);
    });

    test('garbage or hostile token → 401, the app is not called, nothing echoed', async () => {
      const before = seen.length;
      for (const auth of ['Bearer not-a-jwt', 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln', 'Basic Zm9vOmJhcg==', asHeader(`Bearer ${NAME}`), asHeader('Bearer "🔑"'), 'Bearer a"b']) {
        const res = await get('/orders', { authorization: auth });
        expect(`${auth} ${res.status}`).toBe(`${auth} 401`);
        const text = await res.text();
        expect(text).not.toContain(auth.slice(7));
      }
      expect(seen.length).toBe(before);
    });

    test('valid token with role admin → 200, identity headers (non-ASCII, as UTF-8 bytes) reach the app intact', async () => {
      const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
      const res = await get(`/orders?x=1&who=${encodeURIComponent(NAME)}`, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Seen;
      expect(body.path).toBe('/orders');
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(body.headers['x-auth-request-user']).toBe(claims.sub as string);
      expect(fromHeader(body.headers['x-auth-request-email'])).toBe(EMAIL);
      expect(fromHeader(body.headers['x-auth-request-preferred-username'])).toBe(HOSTILE_CLAIMS.preferred_username);
      expect(fromHeader(body.headers['x-auth-request-roles'])!.split(',').sort()).toEqual(['admin', ROLE].sort());
    });

    test('regression: a user named 山田太郎 passes forward-auth through nginx, the name intact at the app', async () => {
      const token = await stack.idp.mintAccessToken({ claims: { ...HOSTILE_CLAIMS, preferred_username: NAME } });
      const res = await get('/orders', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Seen;
      expect(fromHeader(body.headers['x-auth-request-preferred-username'])).toBe(NAME);
    });

    test('every method is checked the same way (the subrequest is a GET), bodies reach the app only', async () => {
      const token = await stack.idp.mintAccessToken();
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const ok = await fetch(`${nginx.url}/orders`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"a":1}' });
        expect(`${method} ${ok.status}`).toBe(`${method} 200`);
        const before = seen.length;
        const denied = await fetch(`${nginx.url}/orders`, { method, body: '{"a":1}' });
        expect(`${method} ${denied.status}`).toBe(`${method} 401`);
        expect(seen.length).toBe(before);
      }
      const head = await fetch(`${nginx.url}/orders`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
      expect(head.status).toBe(200);
    });

    test('identity headers sent by the client are replaced, not trusted', async () => {
      const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
      const res = await get('/orders', {
        authorization: `Bearer ${token}`,
        'x-auth-request-user': 'mallory',
        'x-auth-request-roles': asHeader(`superuser,${ROLE}-偽`),
        'x-auth-request-email': asHeader('mallory@exämple.com'),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Seen;
      expect(body.headers['x-auth-request-user']).not.toBe('mallory');
      expect(fromHeader(body.headers['x-auth-request-roles'])!.split(',').sort()).toEqual(['admin', ROLE].sort());
      expect(fromHeader(body.headers['x-auth-request-email'])).toBe(EMAIL);
    });

    test('valid token on a location that requires role superuser → 403, the app is not called', async () => {
      const token = await stack.idp.mintAccessToken();
      const before = seen.length;
      const res = await get('/super/panel', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(403);
      expect(seen.length).toBe(before);
    });

    test('token that has the superuser role passes the stricter location', async () => {
      const token = await stack.idp.mintAccessToken({ claims: { ...HOSTILE_CLAIMS, [ROLES_CLAIM]: { superuser: ORG, [ROLE]: ORG } } });
      const res = await get('/super/panel', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
    });

    test('a token from a real login (josé@exämple.com) passes with the identity intact', async () => {
      const { loginThroughGateway } = await import('../support/gateway-login.ts');
      const { access_token } = await loginThroughGateway(stack.idp, stack.url, HOSTILE_CREDS);
      expect(access_token).not.toBe('');
      const res = await get('/orders', { authorization: `Bearer ${access_token}` });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Seen;
      expect(body.headers['x-auth-request-user']).toBe(HOSTILE_USER.sub);
      expect(fromHeader(body.headers['x-auth-request-roles'])!.split(',')).toContain(ROLE);
    });

    test('browser without a token on /app/ → 302 to the gateway login with return_to', async () => {
      const before = seen.length;
      const res = await get('/app/page?tab=2&q=a%20b', { accept: 'text/html,application/xhtml+xml' });
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!);
      expect(`${loc.origin}${loc.pathname}`).toBe(`${stack.url}/api/v1/login`);
      expect(loc.searchParams.get('return_to')).toBe(`${nginxOrigin}/app/page?tab=2&q=a%20b`);
      expect(seen.length).toBe(before);
    });

    test('browser on a non-ASCII /app/ URL with quotes → return_to carries it exactly, the login starts', async () => {
      const path = `/app/${encodeURIComponent(NAME)}?q=${encodeURIComponent('🍣 "x" <y>')}&e=${encodeURIComponent(EMAIL)}`;
      const res = await get(path, { accept: 'text/html' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')!).not.toMatch(/[^\x21-\x7e]/);
      const returnTo = new URL(new URL(res.headers.get('location')!).searchParams.get('return_to')!);
      expect(decodeURIComponent(returnTo.pathname)).toBe(`/app/${NAME}`);
      expect(returnTo.searchParams.get('q')).toBe('🍣 "x" <y>');
      expect(returnTo.searchParams.get('e')).toBe(EMAIL);
      const start = await fetch(res.headers.get('location')!, { redirect: 'manual' });
      expect(start.status).toBe(302);
      expect(start.headers.get('location')!.startsWith(`${stack.idp.issuer}/oauth/v2/authorize?`)).toBe(true);
    });

    test('API client without a token on /app/ → still 401', async () => {
      const res = await get('/app/page', { accept: 'application/json' });
      expect(res.status).toBe(401);
    });

    test('valid token on /app/ → 200', async () => {
      const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
      const res = await get('/app/page', { authorization: `Bearer ${token}`, accept: 'text/html' });
      expect(res.status).toBe(200);
    });

    test('the internal auth locations are not reachable from outside', async () => {
      const token = await stack.idp.mintAccessToken();
      const res = await get('/_zitauth/admin', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(404);
    });

    test('nginx logged no errors about the config', () => {
      expect(nginx.errorLog()).not.toMatch(/\[emerg\]|\[crit\]/);
    });

    test('no token reached the gateway logs or the nginx error log', async () => {
      const token = await stack.idp.mintAccessToken();
      expect((await get('/super/x', { authorization: `Bearer ${token}` })).status).toBe(403);
      const sig = token.split('.')[2]!;
      expect(stack.logs.join('\n')).not.toContain(sig);
      expect(nginx.errorLog()).not.toContain(sig);
    });
  });
});
