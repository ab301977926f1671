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
