/**
 * IdP outages seen through the gateway (`idp.setFault('refuse' | 'hang')`, 1,500 ms timeout), in
 * both configuration modes: validation keeps working from cached keys and results, IdP-dependent
 * routes fail with clean 502/503/504 JSON, nothing ever answers 500 or leaks an exception
 * message, and bad input stays a 4xx during an outage. With the original `.env`'s explicit URLs
 * the login redirect needs no IdP at all.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { finishGatewayLogin, startGatewayLogin } from '../support/gateway-login.ts';
import { expectNotEchoed, HOSTILE_CLAIMS, HOSTILE_CREDS, HOSTILE_USER, HOSTILE_VALUES, NAME } from '../support/hostile.ts';

describe.each(CONFIG_MODES)('IdP faults (%s endpoints)', (mode) => {
  let stack: Stack;
  /** Every response seen, for the final "no 500, no leak" sweep. */
  const seen: { path: string; status: number; body: string }[] = [];

  beforeAll(async () => {
    stack = await startStack({ mode, idp: { users: [HOSTILE_USER] } });
  });
  afterEach(() => stack.idp.setFault(null));
  afterAll(() => stack.close());

  async function call(url: string, init: RequestInit & { token?: string } = {}) {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    const body = await res.text();
    seen.push({ path: new URL(url).pathname, status: res.status, body });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      // redirects have no body
    }
    return { res, status: res.status, json, body };
  }

  function expectCleanError(r: { status: number; json: Record<string, unknown>; res: Response }, statuses: number[]) {
    expect(statuses).toContain(r.status);
    expect(typeof r.json.error).toBe('string');
    expect(typeof r.json.error_description).toBe('string');
    expect(r.res.headers.get('content-type')).toContain('application/json');
  }

  describe('IdP down after warm-up', () => {
    let token: string;
    /** The M2M warm-up's answer; asserted by the M2M tests only, so the others run without it. */
    let m2m: Awaited<ReturnType<typeof call>>;
    beforeAll(async () => {
      token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
      expect((await call(`${stack.url}/api/v1/validate`, { token })).status).toBe(200);
      m2m = await call(`${stack.url}/api/v1/m2m-token`);
    });

    for (const fault of ['refuse', 'hang'] as const) {
      test(`${fault}: validate → 200 for a cached token and for a new token with a known kid`, async () => {
        await stack.idp.setFault(fault);
        expect((await call(`${stack.url}/api/v1/validate`, { token })).status).toBe(200);
        const fresh = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
        const r = await call(`${stack.url}/api/v1/validate`, { token: fresh });
        expect(r.status).toBe(200);
        expect(r.json.sub).toBeDefined();
      });

      test(`${fault}: the M2M token from before the outage validates (same keys)`, async () => {
        expect(m2m.status).toBe(200);
        await stack.idp.setFault(fault);
        expect((await call(`${stack.url}/api/v1/validate`, { token: String(m2m.json.access_token) })).status).toBe(200);
      });

      test(`${fault}: m2m → the cached token, 200`, async () => {
        expect(m2m.status).toBe(200);
        await stack.idp.setFault(fault);
        const r = await call(`${stack.url}/api/v1/m2m-token`);
        expect(r.status).toBe(200);
        expect(r.json.access_token).toBe(m2m.json.access_token);
      });

      test(`${fault}: /login still redirects (endpoints configured or discovery cached)`, async () => {
        await stack.idp.setFault(fault);
        const r = await call(`${stack.url}/api/v1/login?login_hint=${encodeURIComponent(NAME)}`);
        expect(r.status).toBe(302);
      });

      test(`${fault}: hostile input is still a clean 4xx, never a 5xx, never echoed`, async () => {
        await stack.idp.setFault(fault);
        for (const value of HOSTILE_VALUES) {
          const q = encodeURIComponent(value);
          for (const [path, status] of [[`/api/v1/validate?role=${q}`, 403], [`/api/v1/forward-auth?aud=${q}`, 403], [`/api/v1/login?return_to=${encodeURIComponent(`https://evil.example/${value}`)}`, 400], [`/api/v1/logout?post_logout_redirect_uri=${q}`, 400]] as const) {
            const r = await call(`${stack.url}${path}`, { token });
            expect(`${path} ${r.status}`).toBe(`${path} ${status}`);
            expectCleanError(r, [status]);
            expectNotEchoed(r.body, r.res.headers, [value], path);
          }
        }
      });
    }

    test('refuse: userinfo → 502', async () => {
      await stack.idp.setFault('refuse');
      expectCleanError(await call(`${stack.url}/api/v1/userinfo`, { token }), [502]);
    });

    test('hang: userinfo → 504', async () => {
      await stack.idp.setFault('hang');
      expectCleanError(await call(`${stack.url}/api/v1/userinfo`, { token }), [504]);
    });

    test('refuse/hang during the callback: code exchange → 502/504 JSON', async () => {
      for (const [fault, status] of [['refuse', 502], ['hang', 504]] as const) {
        const p = await startGatewayLogin(stack.idp, stack.url, { creds: HOSTILE_CREDS });
        await stack.idp.setFault(fault);
        const res = await finishGatewayLogin(p);
        const body = await res.text();
        seen.push({ path: '/api/v1/callback', status: res.status, body });
        expect(res.status).toBe(status);
        expect(JSON.parse(body).error).toBe('server_error');
        await stack.idp.setFault(null);
      }
    });

    test('opaque token with introspection while the IdP refuses → 5xx, never 401 or 500', async () => {
      const g = await stack.gateway({ ZITAUTH_INTROSPECTION_KEY_FILE: `${stack.dir}/api-app.json` });
      try {
        const opaque = await stack.idp.mintOpaqueToken();
        await call(`${g.url}/readyz`);
        await stack.idp.setFault('refuse');
        expectCleanError(await call(`${g.url}/api/v1/validate`, { token: opaque }), [502, 503]);
      } finally {
        await g.stop();
      }
    });
  });

  describe('IdP down before the gateway ever reached it', () => {
    for (const fault of ['refuse', 'hang'] as const) {
      test(`${fault}: login/validate/userinfo/m2m → clean 502/503/504 JSON with Retry-After on 503 (login: 302 with explicit URLs)`, async () => {
        await stack.idp.setFault(fault);
        const g = await stack.gateway();
        try {
          const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
          const login = await call(`${g.url}/api/v1/login`);
          if (mode === 'explicit') {
            // The authorization endpoint is configured: the redirect needs no IdP round trip.
            expect(login.status).toBe(302);
            expect(login.res.headers.get('location')!.startsWith(`${stack.idp.issuer}/oauth/v2/authorize?`)).toBe(true);
          } else {
            expectCleanError(login, [502, 503, 504]);
          }
          // Concurrently, as during a real outage (and so a hang costs one timeout, not three: with
          // explicit URLs each of these waits for its own endpoint).
          const results = await Promise.all([
            call(`${g.url}/api/v1/validate`, { token }),
            call(`${g.url}/api/v1/userinfo`, { token }),
            call(`${g.url}/api/v1/m2m-token`),
          ]);
          for (const r of results) {
            expectCleanError(r, [502, 503, 504]);
            if (r.status === 503) expect(Number(r.res.headers.get('retry-after'))).toBeGreaterThan(0);
          }
          // The process is alive and says so; readiness says not ready.
          expect((await call(`${g.url}/healthz`)).status).toBe(200);
          expect((await call(`${g.url}/readyz`)).status).toBe(503);
        } finally {
          await g.stop();
        }
      }, 15_000);
    }

    test('m2m with discovery loaded but no token cached → 503 + Retry-After; recovers once the IdP is back', async () => {
      // The clock starts 6 s behind and then catches up: that passes the broker's back-off without
      // putting the assertion's iat in the future (the IdP allows at most 1 s).
      let skew = -6_000;
      const g = await stack.gateway({}, { now: () => Date.now() + skew });
      try {
        expect((await call(`${g.url}/readyz`)).status).toBe(200);
        await stack.idp.setFault('refuse');
        const r = await call(`${g.url}/api/v1/m2m-token`);
        expectCleanError(r, [503]);
        expect(Number(r.res.headers.get('retry-after'))).toBeGreaterThan(0);
        await stack.idp.setFault(null);
        skew = 0;
        expect((await call(`${g.url}/api/v1/m2m-token`)).status).toBe(200);
      } finally {
        await g.stop();
      }
    });

    test('login recovers after the discovery retry delay (explicit URLs: never down)', async () => {
      let skew = 0;
      await stack.idp.setFault('refuse');
      const g = await stack.gateway({}, { now: () => Date.now() + skew });
      try {
        expect((await call(`${g.url}/api/v1/login`)).status).toBe(mode === 'explicit' ? 302 : 503);
        await stack.idp.setFault(null);
        skew += 6_000;
        expect((await call(`${g.url}/api/v1/login`)).status).toBe(302);
      } finally {
        await g.stop();
      }
    });
  });

  test('no response was a 500, none carries a stack trace or an exception message', () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const s of seen) {
      expect(s.status).not.toBe(500);
      expect(s.body).not.toMatch(/\n\s+at |\.ts:\d+|TimeoutError|AbortError|ECONNREFUSED|ConnectionRefused|operation timed out|Unable to connect|fetch failed|TypeError|OperationProcessingError/);
    }
  });
});
