import { defaulted, int, oneOf, secret, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';

export const STORE_KINDS = ['memory', 'redis'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** Where a Redis/Valkey store lives and how its keys are named. */
export interface RedisConfig {
  /** As configured (may hold credentials: never log it; use {@link target}). */
  url: string;
  /** `redis[s]://host:port/db` without credentials: what logs and errors name. */
  target: string;
  /** Prepended to every key (`zitauth:` by default). */
  prefix: string;
  /** Timeout of every Redis call, milliseconds (also the connect timeout). */
  timeoutMs: number;
}

/**
 * Where the gateway keeps its state between requests (sessions, single-use login states, locks,
 * the cluster's M2M token): in this process (`memory`, nothing to run) or in Redis/Valkey
 * (`redis`, shared by every replica).
 */
export interface StoreConfig {
  store: { kind: 'memory' } | ({ kind: 'redis' } & RedisConfig);
}

/** Letters, digits and `: _ . -`: keys stay readable in `redis-cli`, and `{}` stay free for hash tags. */
const PREFIX = /^[A-Za-z0-9:_.-]{1,64}$/;

export function storeSection(env: Env, problems: Problems): StoreConfig {
  const kind = oneOf(env, problems, 'ZITAUTH_SESSION_STORE', STORE_KINDS);
  const url = secret(env, problems, 'ZITAUTH_REDIS_URL', 'ZITAUTH_REDIS_URL_FILE');
  const prefix = defaulted(env, 'ZITAUTH_REDIS_PREFIX');
  if (!PREFIX.test(prefix)) problems.push('ZITAUTH_REDIS_PREFIX must be 1 to 64 letters, digits or ":_.-"');
  const timeoutMs = int(env, problems, 'ZITAUTH_REDIS_TIMEOUT_MS', 10, 60_000);
  if (kind === 'memory') {
    // Most likely meant to share state between replicas: say so instead of silently not sharing.
    // Chosen, not an invalid value that oneOf replaced by the default (already a problem of its own).
    const chosen = defaulted(env, 'ZITAUTH_SESSION_STORE') === 'memory';
    if (url !== undefined && chosen) problems.push('ZITAUTH_REDIS_URL is set but ZITAUTH_SESSION_STORE is memory: set ZITAUTH_SESSION_STORE=redis to use it, or unset the URL');
    return { store: { kind } };
  }
  if (!env.ZITAUTH_COOKIE_SECRET && !env.ZITAUTH_COOKIE_SECRET_FILE) {
    // A per-process secret would make every replica's sessions unreadable to the others.
    problems.push('ZITAUTH_SESSION_STORE=redis needs ZITAUTH_COOKIE_SECRET (or its _FILE): every replica must seal sessions with the same secret');
  }
  if (url === undefined) {
    problems.push('ZITAUTH_SESSION_STORE=redis needs ZITAUTH_REDIS_URL (or ZITAUTH_REDIS_URL_FILE)');
    return { store: { kind: 'memory' } };
  }
  const target = redisTarget(url, problems);
  return { store: { kind, url, target: target ?? '', prefix, timeoutMs } };
}

/**
 * Checks a Redis URL and returns it without credentials. Problems never quote the URL: it may
 * carry a password (and a malformed one may carry it anywhere).
 */
export function redisTarget(url: string, problems: Problems): string | undefined {
  const name = 'ZITAUTH_REDIS_URL';
  // The URL parser drops tabs and CR/LF silently; Bun's client reads the string as given.
  if (/[\s\x00-\x1f\x7f]/.test(url)) {
    problems.push(`${name} must not contain whitespace or control characters (value not shown)`);
    return undefined;
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    problems.push(`${name} must be a redis://[user:password@]host[:port][/db] or rediss:// URL (value not shown)`);
    return undefined;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    problems.push(`${name} must start with redis:// or rediss:// (TLS)`);
    return undefined;
  }
  if (!u.hostname) {
    problems.push(`${name} must name a host`);
    return undefined;
  }
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,5}$/.test(db)) {
    problems.push(`${name}: the path must be a database number (e.g. /0)`);
    return undefined;
  }
  if (u.search || u.hash) {
    problems.push(`${name} must not have a query or fragment (no options are read from it)`);
    return undefined;
  }
  return `${u.protocol}//${u.hostname}:${u.port || '6379'}/${db || '0'}`;
}
