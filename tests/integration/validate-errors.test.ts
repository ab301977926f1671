/**
 * /validate answers its own failures (fast path, no throw through Elysia): they must look exactly
 * like the global error hook's answers, keep the request id, and stay readable by the SPA (CORS).
 * In both configuration modes; hostile request ids and requirement values are never echoed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, SPA_ORIGIN, startStack, type Stack } from '../support/stack.ts';
import { asHeader, expectCleanRefusal, expectNotEchoed, HOSTILE_CLAIMS, HOSTILE_VALUES, ROLE } from '../support/hostile.ts';

describe.each(CONFIG_MODES)('/validate fast-path failures (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode });
  });
  afterAll(() => stack.close());

  const validate = (authorization: string, headers: Record<string, string> = {}, query = '') =>
    fetch(`${stack.url}/api/v1/validate${query}`, { headers: { authorization, ...headers } });

  test('a rejected token from the SPA origin carries CORS, the request id and the RFC 6750 challenge', async () => {
    const res = await validate('Bearer abc.def.ghi', { origin: SPA_ORIGIN, 'x-request-id': 'req-42' });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    expect(res.headers.get('x-request-id')).toBe('req-42');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'malformed token' });
  });

  test('a hostile X-Request-Id is replaced by a generated one, in the answer and in the log', async () => {
    // [value sent, a distinctive part of it that must not reach the answer or the log in any spelling]
    for (const [given, mark] of [['req-山田太郎', '山田太郎'], ['req "quoted"', 'quoted'], ['req-🦄', '🦄'], ['req <script>', '<script>'], [`req-${'x'.repeat(200)}`, 'x'.repeat(129)]] as const) {
      const from = stack.logs.length;
      const res = await validate('Bearer abc.def.ghi', { 'x-request-id': asHeader(given) });
      expect(res.status).toBe(401);
      const id = res.headers.get('x-request-id') ?? '';
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
      expectNotEchoed(await res.text(), res.headers, [given, mark], given);
      await Bun.sleep(20);
      const lines = stack.logs.slice(from).join('\n');
      expect(lines).toContain(`"${id}"`);
      expectNotEchoed(lines, new Headers(), [mark], `log for ${given}`);
    }
  });

  test('the same junk token twice gets the same answer (second one from the negative cache)', async () => {
    const junk = `${'a'.repeat(30)}.${'b'.repeat(200)}.${'c'.repeat(100)}`;
    const a = await validate(`Bearer ${junk}`);
    const b = await validate(`Bearer ${junk}`);
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(await b.json()).toEqual(await a.json());
  });

  test('the request log line records the 401 of a fast-path failure', async () => {
    await validate('Bearer x.y.z', { 'x-request-id': 'req-log-401' });
    await Bun.sleep(20);
    const line = stack.logs.find((l) => l.includes('"req-log-401"') && l.includes('"msg":"request"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).status).toBe(401);
  });

  test('an empty requirement (?role=) is a malformed request: 400, not 403', async () => {
    const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
    for (const q of ['role=', 'aud=', 'scope=', 'role=admin&role=', `role=${encodeURIComponent(ROLE)}&role=`]) {
      const res = await validate(`Bearer ${token}`, {}, `?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
    }
    const ok = await validate(`Bearer ${token}`, {}, `?role=${encodeURIComponent(ROLE)}`);
    expect(ok.status).toBe(200);
  });

  test('a hostile requirement next to an empty one is still a 400 that echoes neither', async () => {
    const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
    for (const value of HOSTILE_VALUES) {
      const res = await validate(`Bearer ${token}`, { origin: SPA_ORIGIN }, `?role=${encodeURIComponent(value)}&aud=`);
      const json = await expectCleanRefusal(res, [value], JSON.stringify(value));
      expect(`${JSON.stringify(value)} ${res.status} ${json.error}`).toBe(`${JSON.stringify(value)} 400 invalid_request`);
      expect(res.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    }
  });

  test('regression: one /validate cache miss counts as one miss (the route peeks, then validates)', async () => {
    const token = await stack.idp.mintAccessToken({ claims: { ...HOSTILE_CLAIMS, jti: crypto.randomUUID() } });
    const get = () => validate(`Bearer ${token}`);
    expect((await get()).status).toBe(200);
    const before = { ...stack.services.validator.current!.stats.cache };
    const fresh = await stack.idp.mintAccessToken({ claims: { ...HOSTILE_CLAIMS, jti: crypto.randomUUID() } });
    expect((await validate(`Bearer ${fresh}`)).status).toBe(200);
    expect((await get()).status).toBe(200);
    const after = stack.services.validator.current!.stats.cache;
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
  });
});
