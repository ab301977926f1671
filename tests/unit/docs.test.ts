/** Keeps the documentation honest: every configuration variable is documented where users look. */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvSchema } from '../../src/config/index.ts';

const root = join(import.meta.dir, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const example = readFileSync(join(root, '.env.example'), 'utf8');
const names = Object.keys(EnvSchema.properties);

describe('configuration docs', () => {
  test.each(names)('%s is in the README configuration table', (name) => {
    expect(readme).toContain(`| \`${name}\` |`);
  });
  test.each(names)('%s is in .env.example', (name) => {
    expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
  test('README and .env.example give ZITAUTH_AUDIENCE the same default', () => {
    const row = readme.split('\n').find((l) => l.startsWith('| `ZITAUTH_AUDIENCE` |'))!;
    const lines = example.split('\n');
    const at = lines.findIndex((l) => /^# ZITAUTH_AUDIENCE=/.test(l));
    let start = at;
    while (start > 0 && lines[start - 1]!.startsWith('# ') && !/^# [A-Z_]+=/.test(lines[start - 1]!)) start--;
    const comment = lines.slice(start, at).join(' ');
    // The default the gateway applies (src/tokens/audience.ts audienceRule): the project id, else
    // the client id plus the configured service user's own tokens.
    for (const name of ['ZITAUTH_PROJECT_ID', 'ZITADEL_CLIENT_ID', 'SERVICE_ACCOUNT_FILE']) {
      expect(row).toContain(name);
      expect(comment).toContain(name);
    }
  });
  test('the README shows the demo and the test command', () => {
    expect(readme).toContain('npx -y bun@1.4 run dev');
    expect(readme).toContain('bun test');
  });
});
