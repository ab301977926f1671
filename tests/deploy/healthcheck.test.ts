import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { HEALTHCHECK_TIMEOUT_MS, runHealthcheck } from '../../src/cli/healthcheck.ts';

describe('zitauth healthcheck', () => {
  let status = 200;
  let server: ReturnType<typeof Bun.serve>;
  const seen: string[] = [];
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(req) {
        seen.push(new URL(req.url).pathname);
        return new Response('ok', { status });
      },
    });
  });
  afterAll(() => server.stop(true));

  test('200 on /healthz → exit 0', async () => {
    status = 200;
    expect(await runHealthcheck({ PORT: String(server.port) })).toBe(0);
    expect(seen.at(-1)).toBe('/healthz');
  });

  test('non-200 → exit 1', async () => {
    status = 503;
    expect(await runHealthcheck({ PORT: String(server.port) })).toBe(1);
  });

  test('nothing listening → exit 1', async () => {
    const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') });
    const port = probe.port;
    await probe.stop(true);
    expect(await runHealthcheck({ PORT: String(port) })).toBe(1);
  });

  test('defaults to port 8000 and gives up after the timeout', async () => {
    let url = '';
    let signal: AbortSignal | undefined;
    const code = await runHealthcheck({}, {
      timeoutMs: 20,
      fetch: ((u: string, init?: RequestInit) => {
        url = u;
        signal = init?.signal ?? undefined;
        return new Promise((_r, reject) => signal?.addEventListener('abort', () => reject(signal?.reason)));
      }) as typeof fetch,
    });
    expect(code).toBe(1);
    expect(url).toBe('http://127.0.0.1:8000/healthz');
    expect(signal?.aborted).toBe(true);
    expect(HEALTHCHECK_TIMEOUT_MS).toBe(2000);
  });

  test('an invalid PORT is unhealthy, not a crash', async () => {
    expect(await runHealthcheck({ PORT: 'eighty' })).toBe(1);
  });
});
