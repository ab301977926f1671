/**
 * rediss:// (TLS) against a real redis-server with a certificate from a private CA: refused
 * while the CA is unknown; accepted in a process started with NODE_EXTRA_CA_CERTS (how
 * docs/deployment.md says to trust a private CA — the URL itself carries no TLS options).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisStores, StoreUnavailable } from '../../src/store/redis/index.ts';
import { haveRedis, startRedis, type RedisServer } from '../support/redis.ts';
import { systemTool } from '../support/system-tool.ts';

const FILE = 'tests/integration/redis-tls.test.ts';
const HAVE = haveRedis(FILE) && systemTool('openssl', 'openssl', FILE);

let dir: string;
let redis: RedisServer;

function openssl(...args: string[]): void {
  const r = Bun.spawnSync(['openssl', ...args], { cwd: dir, stdout: 'ignore', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
}

beforeAll(async () => {
  if (!HAVE) return;
  dir = mkdtempSync(join(tmpdir(), 'zitauth-redis-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=ZitAuth test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext');
  redis = await startRedis({ password: 'tls-pässword', tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt') } });
});
afterAll(async () => {
  await redis?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE)('rediss:// (TLS)', () => {
  test('a certificate from an unknown CA is refused: StoreUnavailable, unreachable', async () => {
    expect(redis.url).toStartWith('rediss://');
    const s = redisStores({ url: redis.url, target: 'rediss://127.0.0.1/0', prefix: 'tls:', timeoutMs: 5_000 });
    try {
      const err = await s.sessions.get('k').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreUnavailable);
      expect((err as StoreUnavailable).failure).toBe('unreachable');
    } finally {
      await s.close();
    }
  });

  test('with the CA in NODE_EXTRA_CA_CERTS the stores work over TLS', async () => {
    const script = join(dir, 'use-tls.ts');
    const stores = join(import.meta.dir, '../../src/store/redis/index.ts');
    writeFileSync(
      script,
      `import { redisStores } from ${JSON.stringify(stores)};
const s = redisStores({ url: process.env.URL!, target: 'tls', prefix: 'tls:', timeoutMs: 5000 });
await s.sessions.put('k', '山田太郎 over TLS', 60_000);
const out = { value: await s.sessions.get('k'), first: await s.once.claim('x', 60_000), second: await s.once.claim('x', 60_000), healthy: await s.healthy() };
await s.close();
console.log(JSON.stringify(out));
`,
    );
    const proc = Bun.spawn([process.execPath, script], { env: { ...process.env, URL: redis.url, NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') }, stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ value: '山田太郎 over TLS', first: true, second: false, healthy: true });
    // It really went over TLS to this server (the only listener is the TLS port).
    const raw = await redis.raw();
    expect(await raw.get('tls:session:{k}')).toBe('山田太郎 over TLS');
  });
});
