/**
 * The one .env reader (src/config/env-file.ts), table-tested. Regression: Bun's autoload and our
 * reader used to disagree on the same file (`SECRET=abc$def123` → "abc" vs "abc$def123"), so a
 * gateway run from source saw different values than the compiled binary.
 */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDotenv, readEnvironment } from '../../src/config/index.ts';

const TABLE: [line: string, expected: string | undefined][] = [
  ['Q=abc$def123', 'abc$def123'],
  ['Q=${HOME}x', '${HOME}x'],
  ['Q="a b" # c', 'a b'],
  ["Q='a b' # c", 'a b'],
  ['Q=a b # c', 'a b'],
  ['Q=a#b', 'a#b'],
  ['Q=a #b', 'a'],
  ['Q=', ''],
  ['Q=   padded   ', 'padded'],
  ['  Q  =  v  ', 'v'],
  ['export Q=v', 'v'],
  ['Q="l1\\nl2"', 'l1\nl2'],
  ["Q='l1\\nl2'", 'l1\\nl2'],
  ['Q="say \\"hi\\""', 'say "hi"'],
  ['Q="back\\\\slash"', 'back\\slash'],
  ['Q="unclosed', '"unclosed'],
  ['Q="a"b', '"a"b'],
  ["Q='it''s'", "'it''s'"],
  ['Q=山田太郎', '山田太郎'],
  ['Q="josé@exämple.com" # e-mail', 'josé@exämple.com'],
  ['Q=🔐=🔑', '🔐=🔑'],
  ['Q=a=b=c', 'a=b=c'],
  ['# Q=commented', undefined],
  ['Q', undefined],
  ['1Q=bad name', undefined],
  ['Q-R=bad name', undefined],
];

describe('parseDotenv', () => {
  test.each(TABLE)('%s', (line, expected) => {
    expect(parseDotenv(line).Q).toBe(expected as string);
  });

  test('CRLF line ends, blank lines, comments; a key given twice: the later line wins', () => {
    expect(parseDotenv('# head\r\nA=1\r\n\r\nB=2\r\nA=3\r\n')).toEqual({ A: '3', B: '2' });
  });
});

describe('readEnvironment', () => {
  test('.env underneath the environment: real variables win, the file is read with our rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zitauth-env-'));
    writeFileSync(join(dir, '.env'), '# comment\nexport PORT=9000\nSPA_ORIGIN="http://a.example"\nZITADEL_CLIENT_ID=abc # trailing\nZITAUTH_COOKIE_SECRET=p4ss$word$0123456789-0123456789-x\n');
    const env = readEnvironment({ PORT: '9100' }, join(dir, '.env'));
    expect(env.PORT).toBe('9100');
    expect(env.SPA_ORIGIN).toBe('http://a.example');
    expect(env.ZITADEL_CLIENT_ID).toBe('abc');
    expect(env.ZITAUTH_COOKIE_SECRET).toBe('p4ss$word$0123456789-0123456789-x');
  });

  test('no .env file: the environment as given', () => {
    expect(readEnvironment({ A: 'x' }, join(tmpdir(), 'no-such-dir-zitauth', '.env'))).toEqual({ A: 'x' });
  });
});

describe('running from source reads .env once, with these rules', () => {
  // Regression for issue 11 item 8: bunfig.toml's `env = false` stops Bun's own .env loader, whose
  // rules differ (it expands `$def` to nothing and cuts at `#`), so `bun run src/main.ts` in the
  // repository (where bunfig.toml is) sees exactly what the compiled binary sees.
  const main = join(import.meta.dir, '../../src/main.ts');
  const dotenv = [
    'ZITADEL_DOMAIN=http://localhost:8080',
    "ZITADEL_CLIENT_ID='cl$ient#1 山田'",
    'ZITADEL_REDIRECT_URL=http://localhost:8000/api/v1/callback',
    'SPA_ORIGIN=http://localhost:3001',
  ].join('\n');
  const checkConfig = (withBunfig: boolean) => {
    const cwd = mkdtempSync(join(tmpdir(), 'zitauth-env-cli-'));
    writeFileSync(join(cwd, '.env'), dotenv);
    if (withBunfig) writeFileSync(join(cwd, 'bunfig.toml'), readFileSync(join(import.meta.dir, '../../bunfig.toml')));
    const p = Bun.spawnSync(['bun', 'run', main, 'check-config'], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? cwd },
    });
    return p.stdout.toString() + p.stderr.toString();
  };

  test("with the repository's bunfig.toml the value is read by our rules", () => {
    expect(checkConfig(true)).toContain('client cl$ient#1 山田)');
  });

  test("control: without it, Bun's loader would have changed the value first", () => {
    expect(checkConfig(false)).not.toContain('client cl$ient#1 山田)');
  });
});
