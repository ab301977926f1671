import { describe, expect, test } from 'bun:test';
import { batchedWriter, createLogger } from '../../src/observability/logger.ts';

describe('batchedWriter', () => {
  test('lines written in one burst leave as one chunk, in order, after the interval', async () => {
    const chunks: string[] = [];
    const w = batchedWriter((c) => chunks.push(c), { intervalMs: 20 });
    for (let i = 0; i < 100; i++) w.write(`line ${i}`);
    expect(chunks).toEqual([]);
    await Bun.sleep(60);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.split('\n')).toEqual([...Array.from({ length: 100 }, (_, i) => `line ${i}`), '']);
  });

  test('a full batch is written at once, without waiting for the timer', () => {
    const chunks: string[] = [];
    const w = batchedWriter((c) => chunks.push(c), { maxChars: 50, intervalMs: 60_000 });
    for (let i = 0; i < 10; i++) w.write('0123456789'); // 11 characters with the newline
    expect(chunks.map((c) => c.length)).toEqual([55, 55]);
    w.flush();
    expect(chunks).toHaveLength(2); // nothing was pending
  });

  test('flush writes what is pending and cancels the timer', async () => {
    const chunks: string[] = [];
    const w = batchedWriter((c) => chunks.push(c), { intervalMs: 20 });
    w.write('a');
    w.flush();
    expect(chunks).toEqual(['a\n']);
    await Bun.sleep(50);
    expect(chunks).toEqual(['a\n']);
    w.write('b');
    await Bun.sleep(50);
    expect(chunks).toEqual(['a\n', 'b\n']);
  });
});

describe('createLogger', () => {
  test('one JSON line per call at or above the level, fields merged into it', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    log.debug('hidden');
    log.info('request', { status: 200, route: '/api/v1/validate' });
    log.warn('odd', { msg: 'field named msg' });
    expect(lines).toHaveLength(2);
    const a = JSON.parse(lines[0]!);
    expect(a).toMatchObject({ level: 'info', msg: 'request', status: 200, route: '/api/v1/validate' });
    expect(Number.isNaN(Date.parse(a.time))).toBe(false);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', msg: 'field named msg' });
    expect(log.enabled('debug')).toBe(false);
    expect(log.enabled('error')).toBe(true);
  });
});

describe('logger.request (the access line)', () => {
  test('the same line as info("request", fields), odd values quoted, nothing below its level', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    const cases: [string | undefined, string, string, number, number][] = [
      ['ab12cd34-1z', 'GET', '/api/v1/validate', 200, 0.12],
      [undefined, 'POST', 'unmatched', 404, 3],
      ['id"x', 'WEIRD"\\\n', '/a/"b"', 500, NaN],
    ];
    for (const [requestId, method, route, status, ms] of cases) {
      log.request(requestId, method, route, status, ms);
      log.info('request', { requestId, method, route, status, ms });
      const [fast, slow] = lines.splice(0, 2);
      // Same bytes except the timestamp, which may tick between the two calls.
      const untimed = (l: string) => l.replace(/"time":"[^"]+"/, '');
      expect(untimed(fast!)).toBe(untimed(slow!));
      expect(JSON.parse(fast!)).toMatchObject({ level: 'info', msg: 'request', method, route, status });
    }
    const quiet = createLogger('warn', (l) => lines.push(l));
    quiet.request('id', 'GET', '/x', 200, 1);
    expect(lines).toEqual([]);
  });
});
