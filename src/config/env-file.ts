/**
 * The one reader of `.env`. ZitAuth parses the file itself — the compiled binary is built with
 * `--no-compile-autoload-dotenv` and `bunfig.toml` sets `env = false` for runs from source — so
 * the same file means the same configuration however the gateway is started.
 *
 * Rules (table-tested in tests/unit/env-file.test.ts):
 * - one `KEY=VALUE` per line; `export KEY=VALUE` is accepted; blank lines and lines starting
 *   with `#` are ignored, as are lines that are not assignments;
 * - whitespace around the key, the `=` and an unquoted value is trimmed;
 * - unquoted values end at ` #` (a `#` preceded by whitespace starts a comment); a `#` inside a
 *   value (`a#b`) is kept;
 * - `'single'` quotes keep everything literally; `"double"` quotes turn `\n` into a newline and
 *   `\"`/`\\` into `"`/`\`; after the closing quote only whitespace and a `# comment` may follow (otherwise, as with
 *   a quote that is never closed, the whole value is kept literally);
 * - no variable expansion: `$` is an ordinary character (`SECRET=abc$def` is `abc$def`), because
 *   secrets contain `$` and a silently shortened secret is the worst kind of failure;
 * - a key given twice: the later line wins.
 */
import { existsSync, readFileSync } from 'node:fs';

/** The raw environment: every value a string, as the process received it. */
export type RawEnv = Record<string, string | undefined>;

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/** Parses dotenv text by the rules in the module comment. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = ASSIGNMENT.exec(line);
    if (!m) continue;
    out[m[1]!] = parseValue(m[2] ?? '');
  }
  return out;
}

/** The value part of an assignment. A quote that is never closed is kept literally. */
function parseValue(raw: string): string {
  const quote = raw[0];
  if (quote !== '"' && quote !== "'") return raw.replace(/(^|\s)#.*$/, '').trim();
  let out = '';
  for (let i = 1; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === quote) {
      // Only whitespace or a comment may follow the closing quote.
      if (/^\s*(#.*)?$/.test(raw.slice(i + 1))) return out;
      break;
    }
    if (quote === '"' && c === '\\' && i + 1 < raw.length) {
      const next = raw[++i]!;
      out += next === 'n' ? '\n' : next === '"' || next === '\\' ? next : `\\${next}`;
    } else out += c;
  }
  return raw.trim();
}

/** The environment with `.env` (if present) underneath: real environment variables win. */
export function readEnvironment(env: RawEnv = process.env, envFile = '.env'): RawEnv {
  if (!existsSync(envFile)) return { ...env };
  return { ...parseDotenv(readFileSync(envFile, 'utf8')), ...env };
}
