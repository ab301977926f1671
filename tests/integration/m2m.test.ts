/**
 * /api/v1/m2m-token: service-user tokens through the JWT bearer grant at the real dev IdP, the
 * API-key gate, missing/broken key files, and single flight under 1,000 concurrent callers — in
 * both configuration modes. API keys, Authorization values and key-file paths include non-ASCII
 * and hostile values; refusals never echo them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { bearerGet, bodyOf } from '../support/gateway-login.ts';
import { asHeader, expectCleanRefusal, NAME } from '../support/hostile.ts';

const JWT_BEARER = 'token:urn:ietf:params:oauth:grant-type:jwt-bearer';
const API_KEY = 'test-api-key-0123456789-abcdef';
/** A configured key with non-ASCII characters: compared as UTF-8 bytes, like any other. */
const UNICODE_KEY = 'schlüssel-鍵-0123456789-🔑';
const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');

type Gateway = Awaited<ReturnType<Stack['gateway']>>;

describe.each(CONFIG_MODES)('/api/v1/m2m-token (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode });
  });
  afterAll(() => stack.close());

  async function withGateway<T>(env: Record<string, string | undefined>, fn: (g: Gateway) => Promise<T>): Promise<T> {
    const g = await stack.gateway(env);
    try {
      return await fn(g);
    } finally {
      await g.stop();
    }
  }

  function write(name: string, text: string): string {
    const p = join(stack.dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  }

  describe('loopback caller, no API keys configured', () => {
    test('200 { access_token, token_type, expires_in }; the token validates with the project in aud', async () => {
      const res = await fetch(`${stack.url}/api/v1/m2m-token`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
      expect(body.token_type.toLowerCase()).toBe('bearer');
      expect(body.expires_in).toBeGreaterThan(60);
      expect(decodeJwt(body.access_token).sub).toBe(stack.idp.serviceUserKey.userId);

      const v = await bearerGet(`${stack.url}/api/v1/validate`, body.access_token);
      expect(v.status).toBe(200);
      const claims = (await v.json()) as { aud: string[] | string; sub: string };
      expect([claims.aud].flat()).toContain(stack.idp.projectId);
      expect(claims.sub).toBe(stack.idp.serviceUserKey.userId);
    });

    test('regression: m2m token_type is "Bearer" like Zitadel and the login fragment, not oauth4webapi\'s lowercased "bearer"', async () => {
      const body = (await (await fetch(`${stack.url}/api/v1/m2m-token`)).json()) as { token_type: string };
      expect(body.token_type).toBe('Bearer');
    });

    test('POST works too and returns the cached token', async () => {
      const a = (await (await fetch(`${stack.url}/api/v1/m2m-token`)).json()) as { access_token: string };
      const res = await fetch(`${stack.url}/api/v1/m2m-token`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { access_token: string }).access_token).toBe(a.access_token);
    });

    test('1,000 concurrent requests (separate client process) → exactly one jwt-bearer call at the IdP', async () => {
      await withGateway({}, async (g) => {
        stack.idp.resetCounts();
        const child = Bun.spawn(['bun', join(import.meta.dir, '../support/burst.ts'), `${g.url}/api/v1/m2m-token`, '1000'], {
          env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '2048' },
          stdout: 'pipe',
          stderr: 'pipe',
        });
        const out = await new Response(child.stdout).text();
        expect(await child.exited).toBe(0);
        const summary = JSON.parse(out) as { statuses: Record<string, number>; distinctTokens: number };
        expect(summary.statuses).toEqual({ 200: 1000 });
        expect(summary.distinctTokens).toBe(1);
        expect(stack.idp.counts[JWT_BEARER]).toBe(1);
      });
    }, 30_000);

    test('1,000 concurrent requests in process (app.handle, API key) → exactly one jwt-bearer call', async () => {
      await withGateway({ ZITAUTH_M2M_API_KEYS: API_KEY }, async (g) => {
        stack.idp.resetCounts();
        const results = await Promise.all(
          Array.from({ length: 1000 }, (_, i) =>
            g.app
              .handle(new Request(`${g.url}/api/v1/m2m-token`, { method: i % 2 ? 'POST' : 'GET', headers: { authorization: `Bearer ${API_KEY}` } }))
              .then(async (r) => ({ status: r.status, token: ((await r.json()) as { access_token?: string }).access_token })),
          ),
        );
        expect(results.filter((r) => r.status !== 200).length).toBe(0);
        expect(new Set(results.map((r) => r.token)).size).toBe(1);
        expect(stack.idp.counts[JWT_BEARER]).toBe(1);
      });
    });
  });

  describe('API keys', () => {
    test('sha256:<hex> config: no header 401, wrong key 401, right key 200', async () => {
      await withGateway({ ZITAUTH_M2M_API_KEYS: `sha256:${sha256hex(API_KEY)}` }, async (g) => {
        const url = `${g.url}/api/v1/m2m-token`;
        const none = await fetch(url);
        expect(none.status).toBe(401);
        expect((await bodyOf(none)).json.error).toBe('invalid_client');
        const wrong = await bearerGet(url, 'wrong-key-0123456789-abcdef');
        expect(wrong.status).toBe(401);
        expect((await bodyOf(wrong)).json.error).toBe('invalid_client');
        const ok = await bearerGet(url, API_KEY);
        expect(ok.status).toBe(200);
        expect(((await ok.json()) as { access_token: string }).access_token).toBeTruthy();
        // The digest itself is not a key.
        expect((await bearerGet(url, sha256hex(API_KEY))).status).toBe(401);
      });
    });

    test('plain-key config works as well; several keys', async () => {
      await withGateway({ ZITAUTH_M2M_API_KEYS: `other-key-abcdefghijklmnop,${API_KEY}` }, async (g) => {
        expect((await bearerGet(`${g.url}/api/v1/m2m-token`, API_KEY)).status).toBe(200);
        expect((await bearerGet(`${g.url}/api/v1/m2m-token`, 'other-key-abcdefghijklmnop')).status).toBe(200);
        expect((await bearerGet(`${g.url}/api/v1/m2m-token`, `${API_KEY}x`)).status).toBe(401);
      });
    });

    test('hostile Authorization values → 400/401 JSON with a challenge, never a 5xx, never echoed', async () => {
      await withGateway({ ZITAUTH_M2M_API_KEYS: `${API_KEY},${UNICODE_KEY}` }, async (g) => {
        const url = `${g.url}/api/v1/m2m-token`;
        // [Authorization value as a client means it, expected status]
        const cases: [string, number][] = [
          // API keys are visible ASCII (src/m2m/api-keys.ts): anything else is malformed, even
          // when it is the text of a configured key.
          [`Bearer ${UNICODE_KEY}`, 400],
          [`Bearer ${NAME}`, 400],
          [`Bearer ${'k'.repeat(513)}`, 400],
          [`Basic ${Buffer.from(`${NAME}:${API_KEY}`).toString('base64')}`, 400],
          // Well-formed but wrong: 401 invalid_client.
          ['Bearer "quoted-key-<0123456789>"', 401],
          [`Bearer ${Buffer.from(UNICODE_KEY).toString('base64url')}`, 401],
          [`Bearer ${API_KEY.toUpperCase()}`, 401],
        ];
        for (const [value, status] of cases) {
          for (const method of ['GET', 'POST']) {
            const res = await fetch(url, { method, headers: { authorization: asHeader(value) } });
            const where = `${method} ${JSON.stringify(value)}`;
            await expectCleanRefusal(res, [value.replace(/^\S+ /, '')], where);
            expect(`${where} ${res.status}`).toBe(`${where} ${status}`);
            expect(res.headers.get('www-authenticate') ?? '').toStartWith('Bearer realm="zitauth"');
          }
        }
        expect((await bearerGet(url, API_KEY)).status).toBe(200);
      });
    });
  });

  test('a key file at a path with non-ASCII characters, spaces and quotes works', async () => {
    const path = join(stack.dir, `鍵 "${NAME}" 🔑.json`);
    copyFileSync(stack.env.SERVICE_ACCOUNT_FILE!, path);
    await withGateway({ SERVICE_ACCOUNT_FILE: path }, async (g) => {
      const res = await fetch(`${g.url}/api/v1/m2m-token`);
      expect(res.status).toBe(200);
      expect(decodeJwt(((await res.json()) as { access_token: string }).access_token).sub).toBe(stack.idp.serviceUserKey.userId);
    });
  });

  describe('key file problems → 503, gateway still serves', () => {
    test('no SERVICE_ACCOUNT_FILE → 503 naming it', async () => {
      await withGateway({ SERVICE_ACCOUNT_FILE: undefined }, async (g) => {
        const res = await fetch(`${g.url}/api/v1/m2m-token`);
        expect(res.status).toBe(503);
        const { json } = await bodyOf(res);
        expect(json.error).toBe('temporarily_unavailable');
        expect(String(json.error_description)).toContain('SERVICE_ACCOUNT_FILE');
        expect((await fetch(`${g.url}/healthz`)).status).toBe(200);
      });
    });

    for (const [name, make] of [
      ['missing file', () => join(stack.dir, 'does-not-exist.json')],
      ['missing file, non-ASCII name', () => join(stack.dir, `${NAME}-🔑.json`)],
      ['not JSON', () => write('broken.json', '{ not json')],
      ['wrong shape', () => write('shape.json', JSON.stringify({ type: 'serviceaccount', keyId: 'k' }))],
      ['bad PEM', () => write('pem.json', JSON.stringify({ ...stack.idp.serviceUserKey, key: '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----' }))],
    ] as const) {
      test(`unusable key file (${name}) → 503 with a clear message`, async () => {
        await withGateway({ SERVICE_ACCOUNT_FILE: make() }, async (g) => {
          const res = await fetch(`${g.url}/api/v1/m2m-token`);
          expect(res.status).toBe(503);
          const { json, text } = await bodyOf(res);
          expect(String(json.error_description)).toContain('SERVICE_ACCOUNT_FILE');
          expect(text).not.toContain('BEGIN');
          expect((await fetch(`${g.url}/healthz`)).status).toBe(200);
          expect((await bearerGet(`${g.url}/api/v1/validate`, await stack.idp.mintAccessToken())).status).toBe(200);
        });
      });
    }
  });
});
