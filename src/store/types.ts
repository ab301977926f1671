/**
 * The state the gateway keeps between requests, as three small interfaces, each with an
 * in-memory implementation (one process: nothing to run) and a Redis one (several replicas).
 * Every entry has a lifetime; nothing lives forever. Values are opaque strings: what is secret
 * (sessions) is encrypted before it reaches a store, and keys that name a secret are hashes.
 */

/** Sessions by key (a hash of the session id), plus the back-channel logout index. */
export interface SessionStore {
  /** The stored (encrypted) session, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores a new session for `ttlMs`. */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Replaces a session's value — only while the refresh lock `fence` is still held by its token
   * (fencing: a holder whose lease ran out must not overwrite its successor's refreshed tokens).
   * False when the lock was lost or the session is gone.
   */
  replace(key: string, value: string, ttlMs: number, fence: { lock: string; token: string }): Promise<boolean>;
  /**
   * Extends a session's lifetime to `ttlMs` from now without rewriting it (sliding idle
   * timeout); a no-op for a session that is gone. Never rewriting the value on use is what keeps
   * a request that read the session before a refresh from putting the old tokens back.
   */
  touch(key: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Records that `key` belongs to these `sid`/`sub` values (OIDC Back-Channel Logout targets). */
  index(key: string, refs: { sid?: string | undefined; sub: string }, ttlMs: number): Promise<void>;
  /** The session keys recorded for a `sid` or a `sub` (possibly stale: callers re-check). */
  lookup(kind: 'sid' | 'sub', value: string): Promise<string[]>;
}

/** Single use: the first `claim` of a key within its lifetime wins (Redis: SET NX PX). */
export interface OnceSet {
  /** True for the first claim of `key` within `ttlMs`; false for every later one. */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/**
 * Leased locks with fencing: a holder that crashed blocks others for at most its lease, and a
 * release only removes the lock it acquired (its token), never a successor's.
 */
export interface Locks {
  /** A token when acquired, undefined when someone else holds `key`. */
  acquire(key: string, leaseMs: number): Promise<string | undefined>;
  /** Releases `key` if `token` still holds it. */
  release(key: string, token: string): Promise<void>;
  /** True while `token` holds `key`. */
  holds(key: string, token: string): Promise<boolean>;
}

/** A shared value with a lifetime (the M2M token for a whole cluster). */
export interface SharedValues {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/** All of a deployment's state, from one backend. */
export interface Stores {
  kind: 'memory' | 'redis';
  sessions: SessionStore;
  once: OnceSet;
  locks: Locks;
  shared: SharedValues;
  /** Reachability for /readyz (memory: always true). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
