/**
 * /validate answers its own failures (fast path, no throw through Elysia): they must look exactly
 * like the global error hook's answers, keep the request id, and stay readable by the SPA (CORS).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { SPA_ORIGIN, startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const validate = (authorization: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.url}/api/v1/validate`, { headers: { authorization, ...headers } });

test('a rejected token from the SPA origin carries CORS, the request id and the RFC 6750 challenge', async () => {
  const res = await validate('Bearer abc.def.ghi', { origin: SPA_ORIGIN, 'x-request-id': 'req-42' });
  expect(res.status).toBe(401);
  expect(res.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
  expect(res.headers.get('x-request-id')).toBe('req-42');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'malformed token' });
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
  const token = await stack.idp.mintAccessToken();
  for (const q of ['role=', 'aud=', 'scope=', 'role=admin&role=']) {
    const res = await fetch(`${stack.url}/api/v1/validate?${q}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, q).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  }
  const ok = await fetch(`${stack.url}/api/v1/validate?role=admin`, { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status).toBe(200);
});

test('regression: one /validate cache miss counts as one miss (the route peeks, then validates)', async () => {
  const token = await stack.idp.mintAccessToken({ claims: { jti: crypto.randomUUID() } });
  const get = () => fetch(`${stack.url}/api/v1/validate`, { headers: { authorization: `Bearer ${token}` } });
  expect((await get()).status).toBe(200);
  const before = { ...stack.services.validator.current!.stats.cache };
  const fresh = await stack.idp.mintAccessToken({ claims: { jti: crypto.randomUUID() } });
  expect((await fetch(`${stack.url}/api/v1/validate`, { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(200);
  expect((await get()).status).toBe(200);
  const after = stack.services.validator.current!.stats.cache;
  expect(after.misses - before.misses).toBe(1);
  expect(after.hits - before.hits).toBe(1);
});
