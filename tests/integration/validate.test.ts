/**
 * /api/v1/validate (and /forward-auth) over HTTP against tokens signed by the real dev IdP, in both
 * configuration modes: RFC 6750 header handling, every kind of bad token, requirements, CORS —
 * with a non-ASCII identity (山田太郎, josé@exämple.com, role 管理者) and hostile query and header
 * values that must be refused cleanly and never echoed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SignJWT, decodeJwt, exportSPKI, importJWK, type JWK } from 'jose';
import { CONFIG_MODES, startStack, SPA_ORIGIN, type Stack } from '../support/stack.ts';
import { bearerGet, bodyOf } from '../support/gateway-login.ts';
import { DEMO_USER } from '../../src/devidp/index.ts';
import { asHeader, EMAIL, expectCleanRefusal, expectNotEchoed, fromHeader, HOSTILE_CLAIMS, HOSTILE_VALUES, NAME, ORG, ROLE, ROLES_CLAIM, USERNAME } from '../support/hostile.ts';

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function expectInvalidToken(res: Response) {
  const { json, text } = await bodyOf(res);
  expect(res.status).toBe(401);
  expect(json.error).toBe('invalid_token');
  expect(typeof json.error_description).toBe('string');
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toStartWith('Bearer realm="zitauth"');
  expect(challenge).toContain('error="invalid_token"');
  // No stack traces or library messages.
  expect(text).not.toMatch(/\bat \S+\.(ts|js)|ERR_JW|JWSSignatureVerificationFailed/);
}

async function expectInvalidRequest(res: Response) {
  const { json } = await bodyOf(res);
  expect(res.status).toBe(400);
  expect(json.error).toBe('invalid_request');
  expect(typeof json.error_description).toBe('string');
  expect(res.headers.get('www-authenticate') ?? '').toStartWith('Bearer realm="zitauth"');
  return json;
}

describe.each(CONFIG_MODES)('/api/v1/validate (%s endpoints)', (mode) => {
  let stack: Stack;
  let V: string;
  let good: string;
  beforeAll(async () => {
    stack = await startStack({ mode });
    V = `${stack.url}/api/v1/validate`;
    good = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
  });
  afterAll(() => stack.close());

  describe('valid token', () => {
    test('200 with claims, including Zitadel roles map and the non-ASCII identity, intact', async () => {
      const res = await bearerGet(V, good);
      expect(res.status).toBe(200);
      const claims = (await res.json()) as Record<string, unknown>;
      expect(claims.sub).toBe(DEMO_USER.sub);
      expect(claims.iss).toBe(stack.idp.issuer);
      expect(claims.aud).toContain(stack.idp.projectId);
      expect(typeof claims.exp).toBe('number');
      expect(claims[ROLES_CLAIM]).toEqual({ [ROLE]: ORG, admin: ORG });
      expect([claims.name, claims.preferred_username, claims.email]).toEqual([NAME, USERNAME, EMAIL]);
      expect(claims[`urn:zitadel:iam:org:project:${stack.idp.projectId}:roles`]).toBeDefined();
      // Repeated: served from the cache, same answer.
      const again = await bearerGet(V, good);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual(claims);
    });

    test('"bearer" scheme is case-insensitive', async () => {
      expect((await bearerGet(V, undefined, { raw: `bearer ${good}` })).status).toBe(200);
    });
  });

  describe('header problems → 400 invalid_request', () => {
    test('missing header: 400 + WWW-Authenticate: Bearer realm="zitauth" (no error attribute)', async () => {
      const res = await fetch(V);
      await expectInvalidRequest(res);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="zitauth"');
    });

    for (const raw of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer  two-spaces', 'Bearer abc<>def', 'Bearer a b', 'Token abc', 'Bearer "quoted"', 'Bearer a\tb']) {
      test(`malformed ${JSON.stringify(raw)}`, async () => {
        await expectInvalidRequest(await bearerGet(V, undefined, { raw }));
      });
    }

    test('non-ASCII Authorization values (UTF-8 bytes on the wire) → 400, never echoed', async () => {
      for (const value of [`Bearer ${NAME}`, 'Bearer 🔑🔑🔑', `${USERNAME} ${EMAIL}`, `Bearer ${good.slice(0, 20)}é${good.slice(20)}`]) {
        const res = await bearerGet(V, undefined, { raw: asHeader(value) });
        const json = await expectCleanRefusal(res, [value.replace(/^Bearer /, '')], JSON.stringify(value));
        expect(`${JSON.stringify(value)} ${res.status} ${json.error}`).toBe(`${JSON.stringify(value)} 400 invalid_request`);
      }
    });

    test('token in the query string is ignored (still "missing header")', async () => {
      const res = await fetch(`${V}?access_token=${good}`);
      expect(res.status).toBe(400);
      expect((await bodyOf(res)).json.error).toBe('invalid_request');
    });

    test('oversized token (> 8 KiB) → 400/401, never 5xx, answered fast', async () => {
      for (const token of ['a'.repeat(9000), `${'a'.repeat(4600)}.${'b'.repeat(4600)}.c`, good + 'A'.repeat(8192)]) {
        const res = await bearerGet(V, token);
        expect([400, 401]).toContain(res.status);
        const { json } = await bodyOf(res);
        expect(json.error).toMatch(/^invalid_(request|token)$/);
      }
    });
  });

  describe('bad tokens → 401 invalid_token', () => {
    test('expired', async () => {
      await expectInvalidToken(await bearerGet(V, await stack.idp.mintAccessToken({ expiresInSec: -3600 })));
    });
    test('not yet valid (nbf in an hour)', async () => {
      await expectInvalidToken(await bearerGet(V, await stack.idp.mintAccessToken({ claims: { nbf: now() + 3600 } })));
    });
    test('wrong issuer', async () => {
      await expectInvalidToken(await bearerGet(V, await stack.idp.mintAccessToken({ claims: { iss: 'http://127.0.0.1:1' } })));
    });
    test('wrong audience (default pin: ZITAUTH_PROJECT_ID)', async () => {
      await expectInvalidToken(await bearerGet(V, await stack.idp.mintAccessToken({ claims: { aud: ['someone-else'] } })));
    });
    test('alg none (empty and fake signature)', async () => {
      const payload = decodeJwt(good);
      const h = b64url({ alg: 'none', typ: 'JWT' });
      await expectInvalidToken(await bearerGet(V, `${h}.${b64url(payload)}.`));
      await expectInvalidToken(await bearerGet(V, `${h}.${b64url(payload)}.AAAA`));
    });
    test('HS256 signed with the RSA public key (key confusion)', async () => {
      const jwks = (await (await fetch(`${stack.idp.issuer}/oauth/v2/keys`)).json()) as { keys: JWK[] };
      const jwk = jwks.keys.find((k) => k.kid === stack.idp.activeKid())!;
      const pem = await exportSPKI((await importJWK(jwk, 'RS256')) as CryptoKey);
      for (const secret of [pem, JSON.stringify(jwk)]) {
        const forged = await new SignJWT(decodeJwt(good))
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: jwk.kid })
          .sign(new TextEncoder().encode(secret));
        await expectInvalidToken(await bearerGet(V, forged));
      }
    });
    test('tampered payload (signature kept)', async () => {
      const [h, , s] = good.split('.');
      const p = { ...decodeJwt(good), sub: 'attacker', 'urn:zitadel:iam:org:project:roles': { superadmin: {} } };
      await expectInvalidToken(await bearerGet(V, `${h}.${b64url(p)}.${s}`));
    });
    test('unknown kid', async () => {
      await expectInvalidToken(await bearerGet(V, await stack.idp.mintAccessToken({ kid: 'kid-nobody-published' })));
    });
    test('truncated', async () => {
      await expectInvalidToken(await bearerGet(V, good.slice(0, -12)));
      await expectInvalidToken(await bearerGet(V, good.split('.').slice(0, 2).join('.')));
    });
    test('garbage', async () => {
      for (const g of ['garbage', 'a.b.c', 'eyJhbGciOiJSUzI1NiJ9.e30.AAAA', '...']) {
        const res = await bearerGet(V, g);
        expect([400, 401]).toContain(res.status);
        if (res.status === 401) await expectInvalidToken(res);
      }
    });
    test('a rejected token stays rejected (negative cache) and does not poison the good one', async () => {
      const bad = await stack.idp.mintAccessToken({ expiresInSec: -3600 });
      for (let i = 0; i < 3; i++) expect((await bearerGet(V, bad)).status).toBe(401);
      expect((await bearerGet(V, good)).status).toBe(200);
    });
  });

  describe('audience pinned with ZITAUTH_AUDIENCE', () => {
    test('only tokens for the pinned audience pass', async () => {
      const g = await stack.gateway({ ZITAUTH_AUDIENCE: 'api-only-audience' });
      try {
        await expectInvalidToken(await bearerGet(`${g.url}/api/v1/validate`, good));
        const mine = await stack.idp.mintAccessToken({ claims: { aud: ['api-only-audience'] } });
        expect((await bearerGet(`${g.url}/api/v1/validate`, mine)).status).toBe(200);
      } finally {
        await g.stop();
      }
    });
  });

  describe('requirements', () => {
    test('?role=admin ok; ?role=nope → 403 insufficient_scope', async () => {
      expect((await bearerGet(`${V}?role=admin`, good)).status).toBe(200);
      expect((await bearerGet(`${V}?role=nope&role=admin`, good)).status).toBe(200);
      // A non-ASCII role key (URL-encoded, as a browser or proxy sends it) matches exactly.
      expect((await bearerGet(`${V}?role=${encodeURIComponent(ROLE)}`, good)).status).toBe(200);
      expect((await bearerGet(`${V}?role=${encodeURIComponent(ROLE.slice(0, 2))}`, good)).status).toBe(403);
      const res = await bearerGet(`${V}?role=nope`, good);
      expect(res.status).toBe(403);
      expect((await bodyOf(res)).json.error).toBe('insufficient_scope');
      expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    });
    test('?aud= must match one audience', async () => {
      expect((await bearerGet(`${V}?aud=${stack.idp.projectId}`, good)).status).toBe(200);
      const res = await bearerGet(`${V}?aud=other-api`, good);
      expect(res.status).toBe(403);
      expect((await bodyOf(res)).json.error).toBe('insufficient_scope');
    });
    test('?scope= on a JWT without a scope claim → 403 (documented)', async () => {
      const res = await bearerGet(`${V}?scope=openid`, good);
      expect(res.status).toBe(403);
      expect((await bodyOf(res)).json.error).toBe('insufficient_scope');
    });
    test('requirements checked on the cached path too', async () => {
      const t = await stack.idp.mintAccessToken();
      expect((await bearerGet(V, t)).status).toBe(200);
      expect((await bearerGet(`${V}?role=nope`, t)).status).toBe(403);
    });
    test('hostile requirement values (unicode, emoji, CR/LF, quotes, markup) → 403 JSON, never echoed', async () => {
      for (const key of ['role', 'aud', 'scope']) {
        for (const value of HOSTILE_VALUES) {
          const res = await bearerGet(`${V}?${key}=${encodeURIComponent(value)}`, good);
          const json = await expectCleanRefusal(res, [value], `${key}=${JSON.stringify(value)}`);
          expect(`${key}=${JSON.stringify(value)} ${res.status} ${json.error}`).toBe(`${key}=${JSON.stringify(value)} 403 insufficient_scope`);
        }
      }
    });
  });

  describe('CORS', () => {
    test('SPA origin gets Access-Control-Allow-Origin, a foreign origin none', async () => {
      const ok = await bearerGet(V, good, { headers: { origin: SPA_ORIGIN } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
      expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
      for (const origin of ['https://evil.example', asHeader('https://évil.example'), `${SPA_ORIGIN}.evil.example`, 'null']) {
        const foreign = await bearerGet(V, good, { headers: { origin } });
        expect(foreign.status).toBe(200);
        expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
        expectNotEchoed(await foreign.text(), foreign.headers, ['evil.example', 'évil.example']);
      }
      // Errors carry the header too, so the SPA can read them.
      const err = await fetch(V, { headers: { origin: SPA_ORIGIN } });
      expect(err.status).toBe(400);
      expect(err.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    });
    test('preflight from the SPA origin → 204 allowing Authorization; foreign preflight gets no CORS headers', async () => {
      const pre = await fetch(V, {
        method: 'OPTIONS',
        headers: { origin: SPA_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
      expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const bad = await fetch(V, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
      expect(bad.headers.get('access-control-allow-origin')).toBeNull();
      expect(bad.status).toBeGreaterThanOrEqual(400);
    });
  });

  describe('forward-auth', () => {
    test('200 with identity headers (UTF-8 bytes); malformed header → 401 (proxies only map 401/403)', async () => {
      const res = await bearerGet(`${stack.url}/api/v1/forward-auth?role=${encodeURIComponent(ROLE)}`, good);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-auth-request-user')).toBe(DEMO_USER.sub);
      expect(fromHeader(res.headers.get('x-auth-request-email'))).toBe(EMAIL);
      expect(fromHeader(res.headers.get('x-auth-request-preferred-username'))).toBe(USERNAME);
      expect(fromHeader(res.headers.get('x-auth-request-roles'))!.split(',').sort()).toEqual(['admin', ROLE].sort());
      expect((await bearerGet(`${stack.url}/api/v1/forward-auth`, undefined, { raw: 'Basic x' })).status).toBe(401);
      expect((await fetch(`${stack.url}/api/v1/forward-auth`)).status).toBe(401);
      expect((await bearerGet(`${stack.url}/api/v1/forward-auth?role=nope`, good)).status).toBe(403);
      const hostile = await bearerGet(`${stack.url}/api/v1/forward-auth`, undefined, { raw: asHeader(`Bearer ${NAME}`) });
      expect(hostile.status).toBe(401);
      await expectCleanRefusal(hostile, [NAME]);
    });
  });
});
