/**
 * Files written by `zitauth provision`: the two key files and a ready-to-use `.env`.
 *
 * Everything is written with mode 0600 through a temp file + rename, so a crash never leaves a
 * half-written secret and other local users can never read one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `text` to `path` with mode 0600 (atomically). */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600); // umask cannot widen it, but an existing tmp file could have other bits
  await rename(tmp, path);
}

/** Reads a JSON key file if present; `undefined` when missing or not a JSON object. */
export async function readKeyFile(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Parses the simple KEY=VALUE lines of a dotenv file (comments and blanks ignored). */
export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    out.set(line.slice(0, eq).trim(), value);
  }
  return out;
}

/** Renders `.env` lines; values needing it are double-quoted. */
export function renderDotenv(header: string[], vars: [string, string][]): string {
  const lines = header.map((h) => `# ${h}`);
  for (const [k, v] of vars) lines.push(`${k}=${/^[A-Za-z0-9_.,:/@+\-=]*$/.test(v) ? v : JSON.stringify(v)}`);
  return `${lines.join('\n')}\n`;
}

/** 48 random bytes, base64url: 64 characters, well above the gateway's 32-character minimum. */
export function newCookieSecret(): string {
  return randomBytes(48).toString('base64url');
}

/**
 * A new M2M API key: the raw key (shown to the operator once) and the `sha256:<hex>` form the
 * gateway stores, so the `.env` alone never reveals a usable key.
 */
export function newM2mApiKey(): { raw: string; stored: string } {
  const raw = `zat_${randomBytes(32).toString('base64url')}`;
  return { raw, stored: `sha256:${createHash('sha256').update(raw).digest('hex')}` };
}
