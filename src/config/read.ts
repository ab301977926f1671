/**
 * The readers every config section uses: each takes the defaulted environment, the list of
 * problems found so far and the variable's name, returns a typed value, and records a problem
 * naming the variable (never echoing a secret) when the value is unusable.
 */
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import type { RawEnv } from './env-file.ts';
import { EnvSchema, type DefaultedName, type Env, type EnvName } from './schema.ts';

/** Every problem found, each naming its variable; a section appends, the loader reports them all. */
export type Problems = string[];

/** The schema's variables from `raw`, trimmed, blank ones dropped, then the schema's defaults applied. */
export function withDefaults(raw: RawEnv): Env {
  const env: Partial<Env> = {};
  for (const key of Object.keys(EnvSchema.properties) as EnvName[]) {
    const v = raw[key];
    if (v !== undefined && v.trim() !== '') env[key] = v.trim();
  }
  return Value.Default(EnvSchema, env) as Env;
}

/** A variable the schema gives a default: always present after {@link withDefaults}. */
export function defaulted(env: Env, name: DefaultedName): string {
  const v = env[name];
  if (v === undefined) throw new TypeError(`config: ${name} has no default in the schema`);
  return v;
}

export function required(env: Env, problems: Problems, name: EnvName): string {
  const v = env[name];
  if (!v) problems.push(`${name} is required`);
  return v ?? '';
}

/** Comma- or whitespace-separated list. */
export function list(value: string | undefined): string[] {
  return (value ?? '').split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
}

/** An absolute http(s) URL (as given), or an origin when `origin` is set; undefined when absent or bad. */
export function url(problems: Problems, name: EnvName, value: string | undefined, opts: { origin?: boolean } = {}): string | undefined {
  if (!value) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    problems.push(`${name} must be an absolute http(s) URL, got "${value}"`);
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    problems.push(`${name} must be an absolute http(s) URL, got "${value}"`);
    return undefined;
  }
  if (opts.origin && (u.pathname !== '/' || u.search || u.hash)) {
    problems.push(`${name} must be an origin (scheme://host[:port]) without a path, got "${value}"`);
  }
  return opts.origin ? u.origin : value;
}

/** Origins from a comma list; bad entries are reported and dropped. */
export function origins(problems: Problems, name: EnvName, value: string | undefined): string[] {
  return list(value).flatMap((o) => url(problems, name, o, { origin: true }) ?? []);
}

export function int(env: Env, problems: Problems, name: DefaultedName, min: number, max: number): number {
  const v = defaulted(env, name);
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    problems.push(`${name} must be an integer between ${min} and ${max}, got "${v}"`);
    return Math.max(min, Math.min(max, Number(defaultOf(name))));
  }
  return n;
}

export function bool(env: Env, problems: Problems, name: DefaultedName): boolean {
  const v = defaulted(env, name).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (!['false', '0', 'no', 'off'].includes(v)) problems.push(`${name} must be true or false, got "${v}"`);
  return false;
}

/** One of `choices`; the default when the value is not one of them (and a problem is recorded). */
export function oneOf<C extends string>(env: Env, problems: Problems, name: DefaultedName, choices: readonly C[]): C {
  const v = defaulted(env, name);
  if ((choices as readonly string[]).includes(v)) return v as C;
  problems.push(`${name} must be one of ${choices.join(', ')}, got "${v}"`);
  return defaultOf(name) as C;
}

/** A secret given as a value or as a file (`…_FILE`), not both; file contents are trimmed. */
export function secret(env: Env, problems: Problems, name: EnvName, fileName: EnvName): string | undefined {
  const direct = env[name];
  const file = env[fileName];
  if (direct && file) problems.push(`set only one of ${name} and ${fileName}`);
  if (file) return readFile(problems, fileName, file)?.trim();
  return direct;
}

/** A file's text; undefined (and a problem naming the variable) when it cannot be read. */
export function readFile(problems: Problems, name: EnvName, path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    problems.push(`${name}: cannot read file "${path}"`);
    return undefined;
  }
}

function defaultOf(name: DefaultedName): string {
  return (EnvSchema.properties[name] as { default: string }).default;
}

export const unique = (a: string[]): string[] => [...new Set(a.filter(Boolean))];
