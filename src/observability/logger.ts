/**
 * JSON-lines logger. Lines are batched into one stdout write per 50 ms (see {@link batchedWriter}):
 * one log line per request must not cost one syscall per request on the /validate hot path.
 * Callers pass only values that are safe to log; the logger never receives tokens or secrets.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /**
   * The access line written once per request: the same line as `info('request', { requestId,
   * method, route, status, ms })`, built without the intermediate object and its serialization.
   */
  request(requestId: string | undefined, method: string, route: string, status: number, ms: number): void;
  enabled(level: LogLevel): boolean;
  flush(): void;
}

/** Options of {@link batchedWriter}. */
export interface BatchOptions {
  /** Write out once this many characters are pending. Default 64 Ki. */
  maxChars?: number;
  /** Write out pending lines at the latest this long after the first of them. Default 50 ms. */
  intervalMs?: number;
}

/** What {@link batchedWriter} returns. */
export interface BatchedWriter {
  write(line: string): void;
  flush(): void;
}

/**
 * Joins lines into one chunk and hands it to `writeChunk` when it is large enough or on a short
 * timer. Why our own batching: Bun's stdout FileSink flushes at the end of every event-loop tick,
 * and a server answers about one request per tick, so one log line per request cost one write(2)
 * per request (measured with strace on a /validate load: as many writes as requests, and ~8 µs of
 * a ~40 µs request; the syscall is dearer still on a container's stdout pipe). Lines pending when
 * the process dies without {@link BatchedWriter.flush} are lost: at most `intervalMs` worth.
 */
export function batchedWriter(writeChunk: (chunk: string) => void, opts: BatchOptions = {}): BatchedWriter {
  const maxChars = opts.maxChars ?? 64 * 1024;
  const intervalMs = opts.intervalMs ?? 50;
  let pending = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending === '') return;
    const chunk = pending;
    pending = '';
    writeChunk(chunk);
  };
  return {
    write(line) {
      pending += line + '\n';
      if (pending.length >= maxChars) flush();
      else if (timer === undefined) {
        timer = setTimeout(flush, intervalMs);
        // Don't keep the process alive just to flush logs.
        (timer as { unref?: () => void }).unref?.();
      }
    },
    flush,
  };
}

/** JSON lines at `level` and above to `sink`, or batched to stdout when no sink is given. */
export function createLogger(level: LogLevel, sink?: (line: string) => void): Logger {
  const min = RANK[level];
  let write = sink;
  let flush = () => {};
  if (!write) {
    const out = Bun.stdout.writer();
    const batch = batchedWriter((chunk) => {
      out.write(chunk);
      out.flush();
    });
    write = batch.write;
    flush = batch.flush;
  }
  // The ISO timestamp is formatted once per millisecond, not once per line.
  let lastMs = 0;
  let lastIso = '';
  const stamp = () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
  };
  // Methods and routes repeat: each is JSON-quoted once (bounded, in case of odd methods).
  const quoted = new Map<string, string>();
  const quote = (v: string) => {
    let q = quoted.get(v);
    if (q === undefined) {
      q = JSON.stringify(v);
      if (quoted.size < 256) quoted.set(v, q);
    }
    return q;
  };
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    stamp();
    if (fields === undefined || 'time' in fields || 'level' in fields || 'msg' in fields) {
      write!(JSON.stringify({ time: lastIso, level: lvl, msg, ...fields }));
      return;
    }
    // Same line as the spread above, without building a merged object per line.
    const rest = JSON.stringify(fields);
    write!(`{"time":"${lastIso}","level":"${lvl}","msg":${JSON.stringify(msg)}${rest.length > 2 ? `,${rest.slice(1)}` : '}'}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    request(requestId, method, route, status, ms) {
      if (RANK.info < min) return;
      stamp();
      const id = requestId === undefined ? '' : `"requestId":${JSON.stringify(requestId)},`;
      write!(`{"time":"${lastIso}","level":"info","msg":"request",${id}"method":${quote(method)},"route":${quote(route)},"status":${status},"ms":${Number.isFinite(ms) ? ms : null}}`);
    },
    enabled: (lvl) => RANK[lvl] >= min,
    flush: () => flush(),
  };
}
