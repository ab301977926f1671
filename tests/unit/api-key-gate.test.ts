/** ApiKeyGate: who may call /api/v1/m2m-token. */
import { expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { ApiKeyGate } from '../../src/m2m/api-keys.ts';
import { Forbidden, InvalidRequest, UnauthorizedClient } from '../../src/errors.ts';

const digest = (k: string) => ({ sha256: Uint8Array.from(createHash('sha256').update(k).digest()) });
const KEY = 'gate-api-key-0123456789';

test('no keys configured: loopback callers pass (v4, v6, v4-mapped)', () => {
  const gate = new ApiKeyGate([]);
  for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(() => gate.authorize(null, ip)).not.toThrow();
});

test('no keys configured: a non-loopback caller → 403 naming ZITAUTH_M2M_API_KEYS', () => {
  const gate = new ApiKeyGate([]);
  for (const ip of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.1', '2001:db8::1', '128.0.0.1', undefined]) {
    let err: unknown;
    try {
      gate.authorize(`Bearer ${KEY}`, ip);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Forbidden);
    expect((err as Forbidden).status).toBe(403);
    expect((err as Error).message).toContain('ZITAUTH_M2M_API_KEYS');
  }
});

test('keys configured: the key decides, not the address', () => {
  const gate = new ApiKeyGate([digest('another-key-0123456789'), digest(KEY)]);
  expect(() => gate.authorize(`Bearer ${KEY}`, '10.0.0.5')).not.toThrow();
  expect(() => gate.authorize(`bearer ${KEY}`, '10.0.0.5')).not.toThrow();
  expect(() => gate.authorize(null, '127.0.0.1')).toThrow(UnauthorizedClient);
  expect(() => gate.authorize(`Bearer ${KEY}x`, '127.0.0.1')).toThrow(UnauthorizedClient);
  expect(() => gate.authorize(`Basic ${KEY}`, '127.0.0.1')).toThrow(InvalidRequest);
  expect(() => gate.authorize(`Bearer ${'k'.repeat(600)}`, '127.0.0.1')).toThrow(InvalidRequest);
});

test('regression: behind a reverse proxy on the same host, a proxied loopback request is not a local caller', () => {
  const gate = new ApiKeyGate([]);
  expect(() => gate.authorize(null, '127.0.0.1', true)).toThrow(Forbidden);
  // With keys configured the proxy does not matter: the key decides.
  expect(() => new ApiKeyGate([digest(KEY)]).authorize(`Bearer ${KEY}`, '127.0.0.1', true)).not.toThrow();
});

test('isProxied recognises Forwarded, X-Forwarded-For and X-Real-IP', async () => {
  const { isProxied } = await import('../../src/m2m/api-keys.ts');
  expect(isProxied(new Headers())).toBe(false);
  for (const h of ['forwarded', 'x-forwarded-for', 'x-real-ip']) expect(isProxied(new Headers({ [h]: '203.0.113.7' }))).toBe(true);
});
