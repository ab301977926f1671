/** resolveReturnTo: the login may only send tokens back to an allow-listed origin. */
import { expect, test } from 'bun:test';
import { resolveReturnTo } from '../../src/login/return-to.ts';
import { InvalidRequest } from '../../src/errors.ts';

const SPA = 'http://127.0.0.1:3001';
const resolve = (r: string | undefined, extra: string[] = []) => resolveReturnTo(r, SPA, [SPA, ...extra]);

test('default is the SPA root', () => {
  expect(resolve(undefined)).toBe(`${SPA}/`);
  expect(resolve('')).toBe(`${SPA}/`);
});

test('paths and absolute URLs inside an allowed origin; any fragment dropped', () => {
  expect(resolve('/app/page?x=1')).toBe(`${SPA}/app/page?x=1`);
  expect(resolve('app')).toBe(`${SPA}/app`);
  expect(resolve(`${SPA}/deep#frag`)).toBe(`${SPA}/deep`);
  expect(resolve('https://admin.example/x', ['https://admin.example'])).toBe('https://admin.example/x');
});

test.each([
  'https://evil.example/',
  '//evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'http://127.0.0.1:3002/',
  'https://127.0.0.1:3001/',
  `${SPA}@evil.example/`,
  'http://evil.example\\@127.0.0.1:3001/',
  ' //evil.example',
  '\t//evil.example',
])('refused: %p', (bad) => {
  expect(() => resolve(bad)).toThrow(InvalidRequest);
});
