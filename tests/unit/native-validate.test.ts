/** The native token routes' query reader follows the one schema's rules (see also the parity test). */
import { expect, test } from 'bun:test';
import { requirementsFromUrl } from '../../src/http/validate/index.ts';

test('no query → no requirements', () => {
  expect(requirementsFromUrl('http://h/api/v1/validate')).toEqual({});
});

test('repeatable role/scope/aud, comma lists split, + and %-escapes decoded, other parameters ignored', () => {
  expect(requirementsFromUrl('http://h/api/v1/validate?role=a&role=b,c&scope=s&aud=x&foo=bar')).toEqual({ role: ['a', 'b', 'c'], scope: ['s'], aud: ['x'] });
  expect(requirementsFromUrl('http://h/v?role=%E7%AE%A1%E7%90%86%E8%80%85&role=a+b&role=%zz')).toEqual({ role: ['管理者', 'a b', '%zz'] });
});

test('empty or over-long values are refused (400 like the schema)', () => {
  for (const q of ['role=', 'role', 'role=a,', 'role=,a', `aud=${'x'.repeat(257)}`, 'redirect=logout']) {
    expect(requirementsFromUrl(`http://h/api/v1/validate?${q}`)).toBeUndefined();
  }
  expect(requirementsFromUrl(`http://h/api/v1/validate?aud=${'x'.repeat(256)}`)).toEqual({ aud: ['x'.repeat(256)] });
  expect(requirementsFromUrl('http://h/api/v1/forward-auth?redirect=login&role=a')).toEqual({ redirect: 'login', role: ['a'] });
});

test('createApp serves GET /api/v1/validate and /api/v1/forward-auth from Bun’s router', async () => {
  const { startStack } = await import('../support/stack.ts');
  const s = await startStack();
  try {
    const routes = (s.app as unknown as { config: { serve?: { routes?: Record<string, { GET?: unknown }> } } }).config.serve?.routes;
    expect(typeof routes?.['/api/v1/validate']?.GET).toBe('function');
    expect(typeof routes?.['/api/v1/forward-auth']?.GET).toBe('function');
  } finally {
    await s.close();
  }
});
