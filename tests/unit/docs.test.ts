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
  test('the README shows the demo and the test command', () => {
    expect(readme).toContain('npx -y bun@1.4 run dev');
    expect(readme).toContain('bun test');
  });
});
