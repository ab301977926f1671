/**
 * The store section (ZITAUTH_SESSION_STORE, ZITAUTH_REDIS_*): defaults, every problem naming its
 * variable, and a URL's password never echoed — whatever shape the URL has.
 */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { withDefaults, type Problems } from '../../src/config/read.ts';
import { storeSection } from '../../src/config/sections/store.ts';
import { StoreUnavailable } from '../../src/store/index.ts';

const SECRET = { ZITAUTH_COOKIE_SECRET: 'ünïcödé-secret-0123456789-0123456789' };
const PASSWORD = 'pä ss:@/w🔑';
const ENCODED = encodeURIComponent(PASSWORD);

function run(raw: Record<string, string>) {
  const problems: Problems = [];
  return { part: storeSection(withDefaults(raw), problems), problems };
}

describe('store section', () => {
  test('memory by default, nothing to configure', () => {
    expect(run({})).toEqual({ part: { store: { kind: 'memory' } }, problems: [] });
  });

  test('redis: URL with user, encoded password and db; target has no credentials; prefix and timeout', () => {
    const r = run({ ...SECRET, ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL: `rediss://gateway:${ENCODED}@redis.example:6380/2`, ZITAUTH_REDIS_PREFIX: 'prod.zitauth:', ZITAUTH_REDIS_TIMEOUT_MS: '250' });
    expect(r.problems).toEqual([]);
    expect(r.part.store).toEqual({ kind: 'redis', url: `rediss://gateway:${ENCODED}@redis.example:6380/2`, target: 'rediss://redis.example:6380/2', prefix: 'prod.zitauth:', timeoutMs: 250 });
    const d = run({ ...SECRET, ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL: 'redis://[::1]' });
    expect(d.part.store).toEqual({ kind: 'redis', url: 'redis://[::1]', target: 'redis://[::1]:6379/0', prefix: 'zitauth:', timeoutMs: 1000 });
  });

  test('the URL from a file (a secret), trimmed; not both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zitauth-redis-url-'));
    writeFileSync(join(dir, 'url'), `  redis://:${ENCODED}@10.0.0.5:6379/0\n`);
    const r = run({ ...SECRET, ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL_FILE: join(dir, 'url') });
    expect(r.problems).toEqual([]);
    expect(r.part.store).toMatchObject({ url: `redis://:${ENCODED}@10.0.0.5:6379/0`, target: 'redis://10.0.0.5:6379/0' });
    const both = run({ ...SECRET, ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL_FILE: join(dir, 'url'), ZITAUTH_REDIS_URL: 'redis://h' });
    expect(both.problems).toEqual(['set only one of ZITAUTH_REDIS_URL and ZITAUTH_REDIS_URL_FILE']);
    const missing = run({ ...SECRET, ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL_FILE: join(dir, 'nope') });
    expect(missing.problems[0]).toStartWith('ZITAUTH_REDIS_URL_FILE: cannot read file');
  });

  test('redis without a URL, or without a shared cookie secret, is a problem', () => {
    expect(run({ ...SECRET, ZITAUTH_SESSION_STORE: 'redis' }).problems).toEqual(['ZITAUTH_SESSION_STORE=redis needs ZITAUTH_REDIS_URL (or ZITAUTH_REDIS_URL_FILE)']);
    const noSecret = run({ ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL: 'redis://h' });
    expect(noSecret.problems.map((p) => p.split(' ')[0])).toEqual(['ZITAUTH_SESSION_STORE=redis']);
    expect(noSecret.problems[0]).toContain('ZITAUTH_COOKIE_SECRET');
  });

  test('a URL with memory is a problem (it would silently not be shared)', () => {
    expect(run({ ZITAUTH_REDIS_URL: 'redis://h' }).problems[0]).toStartWith('ZITAUTH_REDIS_URL is set but ZITAUTH_SESSION_STORE is memory');
  });

  test.each([
    ['not a URL', `::${PASSWORD}`],
    ['another scheme', `http://u:${ENCODED}@h:6379`],
    ['unix socket', `redis+unix:///run/${ENCODED}.sock`],
    ['a path that is no db', `redis://u:${ENCODED}@h/zero`],
    ['a db out of shape', `redis://u:${ENCODED}@h/123456`],
    ['a query', `redis://u:${ENCODED}@h/0?password=${ENCODED}`],
    ['a fragment', `redis://u:${ENCODED}@h/0#${ENCODED}`],
    ['CR/LF', `redis://u:${ENCODED}@h\r\n/0`],
    ['no host', `redis://u:${ENCODED}@/0`],
  ])('a bad URL (%s) is named, its password never shown', (_, url) => {
    const r = run({ ...SECRET, ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL: url });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toStartWith('ZITAUTH_REDIS_URL');
    for (const leak of [PASSWORD, ENCODED, 'pä', 'w🔑', url]) expect(r.problems[0]).not.toContain(leak);
  });

  test.each([
    ['ZITAUTH_SESSION_STORE', 'valkey'],
    ['ZITAUTH_SESSION_STORE', 'Redis'],
    ['ZITAUTH_REDIS_PREFIX', '{zitauth}:'],
    ['ZITAUTH_REDIS_PREFIX', 'zit auth:'],
    ['ZITAUTH_REDIS_PREFIX', 'zitäuth:'],
    ['ZITAUTH_REDIS_PREFIX', 'z'.repeat(65)],
    ['ZITAUTH_REDIS_TIMEOUT_MS', '0'],
    ['ZITAUTH_REDIS_TIMEOUT_MS', '1e3'],
    ['ZITAUTH_REDIS_TIMEOUT_MS', '60001'],
  ])('%s=%s is refused, naming the variable', (name, value) => {
    const r = run({ ...SECRET, ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL: 'redis://h', [name]: value });
    expect(r.problems.map((p) => p.split(' ')[0])).toEqual([name]);
  });

  test('through loadConfig: the problems listed with the others, never the password', () => {
    const base = { ZITADEL_DOMAIN: 'https://idp.example', ZITADEL_CLIENT_ID: 'c', ZITADEL_REDIRECT_URL: 'https://gw.example/api/v1/callback', SPA_ORIGIN: 'https://app.example' };
    const c = loadConfig({ ...base, ...SECRET, ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL: `redis://:${ENCODED}@redis:6379/0` });
    expect(c.store).toMatchObject({ kind: 'redis', target: 'redis://redis:6379/0' });
    expect(loadConfig(base).store).toEqual({ kind: 'memory' });
    try {
      loadConfig({ ...base, ...SECRET, ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL: `redis://:${ENCODED}@redis:6379/x?${ENCODED}`, ZITAUTH_REDIS_TIMEOUT_MS: 'soon' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.problems.map((p) => p.split(/[ :]/)[0])).toEqual(['ZITAUTH_REDIS_TIMEOUT_MS', 'ZITAUTH_REDIS_URL']);
      expect(e.message).not.toContain(ENCODED);
      expect(e.message).not.toContain(PASSWORD);
    }
  });
});

describe('StoreUnavailable', () => {
  test('a 503 with Retry-After and an RFC-style body; the detail stays in the log', () => {
    const e = new StoreUnavailable('timeout', 'redis redis://h:6379/0 GET: no answer within 1000 ms');
    expect(e).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503, retryAfter: 1, failure: 'timeout', name: 'StoreUnavailable' });
    expect(e.toBody()).toEqual({ error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; retry shortly.' });
  });
});
