/**
 * JSON-lines logger. Writes go through a buffered stdout writer flushed on a short timer: one
 * log line per request must not cost one syscall per request on the /validate hot path.
 * Callers pass only values that are safe to log; the logger never receives tokens or secrets.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
  flush(): void;
}

export function createLogger(level: LogLevel, sink?: (line: string) => void): Logger {
  const min = RANK[level];
  let write = sink;
  let flush = () => {};
  if (!write) {
    const w = Bun.stdout.writer({ highWaterMark: 64 * 1024 });
    let timer: ReturnType<typeof setTimeout> | undefined;
    flush = () => {
      timer = undefined;
      w.flush();
    };
    write = (line) => {
      w.write(line + '\n');
      timer ??= setTimeout(flush, 50);
      // Don't keep the process alive just to flush logs.
      (timer as { unref?: () => void }).unref?.();
    };
  }
  // The ISO timestamp is formatted once per millisecond, not once per line.
  let lastMs = 0;
  let lastIso = '';
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
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
    enabled: (lvl) => RANK[lvl] >= min,
    flush: () => flush(),
  };
}
