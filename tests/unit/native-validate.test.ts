/** The native /validate route's query rules match the Elysia route's schema. */
import { expect, test } from 'bun:test';
import { requirementsOf } from '../../src/http/native-validate.ts';

test('no query → no requirements', () => {
  expect(requirementsOf('http://h/api/v1/validate')).toEqual({});
});

test('repeatable role/scope/aud, other parameters ignored', () => {
  expect(requirementsOf('http://h/api/v1/validate?role=a&role=b&scope=s&aud=x&foo=bar')).toEqual({ role: ['a', 'b'], scope: ['s'], aud: ['x'] });
});

test('empty or over-long values are refused (400 like the schema)', () => {
  expect(requirementsOf('http://h/api/v1/validate?role=')).toBeUndefined();
  expect(requirementsOf(`http://h/api/v1/validate?aud=${'x'.repeat(257)}`)).toBeUndefined();
  expect(requirementsOf(`http://h/api/v1/validate?aud=${'x'.repeat(256)}`)).toEqual({ aud: ['x'.repeat(256)] });
});

test('createApp serves GET /api/v1/validate from Bun’s router', async () => {
  const { startStack } = await import('../support/stack.ts');
  const s = await startStack();
  try {
    const routes = (s.app as unknown as { config: { serve?: { routes?: Record<string, { GET?: unknown }> } } }).config.serve?.routes;
    expect(typeof routes?.['/api/v1/validate']?.GET).toBe('function');
  } finally {
    await s.close();
  }
});
