/**
 * One connection to Redis/Valkey through Bun's built-in client (`Bun.RedisClient`: no
 * dependency, inside the compiled binary), with what the gateway needs on top of it:
 *
 * - **A timeout on every call.** Bun's client has none: a stopped or hung server would leave a
 *   request waiting forever. Each call races a timer; once the timer wins, the call's promise is
 *   settled for good (a late reply is dropped — though a write may still have landed in Redis:
 *   callers treat a timeout as "unknown", and every key expires anyway).
 * - **Fail fast when Redis is down.** No offline queue: while disconnected a call fails at once
 *   (no request piles up behind a dead connection) with {@link StoreUnavailable}.
 * - **Reconnection owned here, not by Bun.** Bun's `autoReconnect` stops for good after
 *   `maxRetries`, and a `connect()` made while it retries waits for its whole retry cycle (tens
 *   of seconds with the defaults). So Bun's is off, and the next call after a loss reconnects —
 *   one attempt in flight, then a back-off from 50 ms doubling to 1 s between failed attempts.
 *   Redis coming back is picked up by the next call, without a restart.
 * - **A hung connection is dropped.** A call that times out while nothing at all has answered
 *   since it was sent closes the connection (a stopped server, or a half-open TCP connection
 *   after a managed failover moved the endpoint); the next call connects afresh.
 *
 * Errors never carry the URL's credentials: details name `target` (`redis://host:port/db`).
 */
import { RedisClient } from 'bun';
import { createHash } from 'node:crypto';
import { StoreUnavailable, type StoreFailure } from './errors.ts';

export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` URL, credentials and database included (Bun parses it). */
  url: string;
  /** The URL without credentials, for error details (see config/sections/store.ts). */
  target: string;
  /** Timeout of every call, and of connecting, milliseconds. */
  timeoutMs: number;
  /** Every failed call (metrics). */
  onFailure?: (failure: StoreFailure) => void;
}

/** A Lua script: sent by its SHA-1 (EVALSHA), in full only when the server does not know it yet. */
export class LuaScript {
  readonly sha: string;
  constructor(
    /** Names the script in error details. */
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;
/** Bun's error codes for a connection that is not (or no longer) there. */
const CONNECTION_CODES = new Set(['ERR_REDIS_CONNECTION_CLOSED', 'ERR_REDIS_AUTHENTICATION_FAILED']);

export class RedisConnection {
  readonly #client: RedisClient;
  readonly #opts: RedisConnectionOptions;
  /** The password as written in the URL and decoded: redacted from every detail. */
  readonly #secrets: string[];
  #connecting: Promise<void> | undefined;
  /** performance.now() before which no new connect is tried, after a failed one. */
  #retryAt = 0;
  #backoffMs = MIN_BACKOFF_MS;
  #lastConnectError = '';
  /** performance.now() of the latest answer from the server (a reply or an error reply). */
  #lastAnswerAt = 0;
  /** performance.now() when a hung connection was last dropped (its calls count as timed out). */
  #droppedAt = -1;
  #closed = false;

  constructor(opts: RedisConnectionOptions) {
    this.#opts = opts;
    this.#secrets = passwordsOf(opts.url);
    this.#client = new RedisClient(opts.url, {
      autoReconnect: false,
      enableOfflineQueue: false,
      connectionTimeout: opts.timeoutMs,
    });
  }

  /** True while a connection is open (it may still be hung: {@link healthy} asks the server). */
  get connected(): boolean {
    return this.#client.connected;
  }

  /** One Redis command (`send('SET', [key, value, 'PX', '1000'])`), within the timeout. */
  send<T = unknown>(command: string, args: string[]): Promise<T> {
    return this.#run(command, (c) => c.send(command, args) as Promise<T>);
  }

  /**
   * Runs a Lua script atomically. EVALSHA first; a server that lost its script cache (a restart,
   * a failover, SCRIPT FLUSH) answers NOSCRIPT and gets the source once (EVAL caches it again).
   */
  eval<T = unknown>(script: LuaScript, keys: string[], args: string[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args];
    return this.#run(script.name, async (c) => {
      try {
        return (await c.send('EVALSHA', [script.sha, ...tail])) as T;
      } catch (err) {
        // NOSCRIPT is Redis's error code (the reply's first word), not message text.
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return (await c.send('EVAL', [script.source, ...tail])) as T;
        throw err;
      }
    });
  }

  /** The server answers a PING within the timeout (for /readyz); never throws. */
  healthy(): Promise<boolean> {
    return this.send('PING', []).then(
      () => true,
      () => false,
    );
  }

  /** Closes the connection for good; later calls fail with `closed`. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#client.close();
  }

  #run<T>(what: string, fn: (c: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(this.#counted(this.#fail('closed', what, 'the store was closed')));
    const sentAt = performance.now();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(this.#counted(this.#fail('timeout', what, `no answer within ${this.#opts.timeoutMs} ms`)));
        this.#dropIfHung(sentAt);
      }, this.#opts.timeoutMs);
      const onValue = (value: T) => {
        this.#lastAnswerAt = performance.now();
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const onError = (err: unknown) => {
        if (!isConnectionError(err) && !(err instanceof StoreUnavailable)) this.#lastAnswerAt = performance.now();
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(this.#counted(err instanceof StoreUnavailable ? err : this.#classify(what, err, sentAt)));
      };
      try {
        const p = this.#client.connected ? fn(this.#client) : this.#connect(what).then(() => fn(this.#client));
        p.then(onValue, onError);
      } catch (err) {
        onError(err);
      }
    });
  }

  /** One connect in flight; after a failure, the next one waits out the back-off. */
  #connect(what: string): Promise<void> {
    if (this.#connecting !== undefined) return this.#connecting;
    const now = performance.now();
    if (now < this.#retryAt) {
      return Promise.reject(this.#fail('unreachable', what, `not connected (next attempt in ${Math.ceil(this.#retryAt - now)} ms; last: ${this.#lastConnectError})`));
    }
    this.#connecting = this.#client.connect().then(
      () => {
        this.#connecting = undefined;
        this.#backoffMs = MIN_BACKOFF_MS;
        this.#retryAt = 0;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        this.#retryAt = performance.now() + this.#backoffMs;
        this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
        this.#lastConnectError = this.#describe(err);
        throw this.#fail('unreachable', what, `cannot connect: ${this.#lastConnectError}`);
      },
    );
    return this.#connecting;
  }

  /** Nothing has answered since `sentAt`: the connection is hung, not just slow for one call. */
  #dropIfHung(sentAt: number): void {
    if (this.#lastAnswerAt < sentAt && this.#client.connected && this.#connecting === undefined) {
      this.#droppedAt = performance.now();
      this.#client.close();
    }
  }

  #classify(what: string, err: unknown, sentAt: number): StoreUnavailable {
    if (!isConnectionError(err)) return this.#fail('command_failed', what, this.#describe(err));
    // Calls still waiting on a connection dropped as hung had no answer either: a timeout.
    if (sentAt <= this.#droppedAt) return this.#fail('timeout', what, `no answer (connection dropped after ${this.#opts.timeoutMs} ms without any reply)`);
    // Connect failures are classified in #connect; this connection dropped under the call.
    return this.#fail('connection_lost', what, this.#describe(err));
  }

  #fail(failure: StoreFailure, what: string, why: string): StoreUnavailable {
    return new StoreUnavailable(failure, `redis ${this.#opts.target} ${what}: ${why}`);
  }

  /** Reports a call's failure (once per failed call, also when calls share one failed connect). */
  #counted(err: StoreUnavailable): StoreUnavailable {
    this.#opts.onFailure?.(err.failure);
    return err;
  }

  /** The client's error code and message, bounded and without credentials. */
  #describe(err: unknown): string {
    const code = typeof (err as { code?: unknown })?.code === 'string' ? `${(err as { code: string }).code}: ` : '';
    let text = `${code}${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
    for (const s of this.#secrets) text = text.replaceAll(s, '***');
    return text;
  }
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/** The URL's password, raw and percent-decoded (both could show up in a message). */
function passwordsOf(url: string): string[] {
  try {
    const raw = new URL(url).password;
    if (!raw) return [];
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // Malformed escapes: the raw form is all there is.
    }
    return [...new Set([raw, decoded])];
  } catch {
    return [];
  }
}
