/**
 * "Address already in use" at startup, told as the user can act on it: which port, and which
 * flag or variable moves it — instead of a stack trace from the server library.
 */

/**
 * The port of an "address in use" listen failure, or undefined for any other error. Bun says
 * `Failed to start server. Is port N in use?` (code EADDRINUSE); Node's `listen EADDRINUSE: address
 * already in use 127.0.0.1:N` carries `port` as well.
 */
export function portInUse(err: unknown): number | undefined {
  const e = err as { code?: unknown; port?: unknown; message?: unknown } | null;
  if (!e || e.code !== 'EADDRINUSE') return undefined;
  if (typeof e.port === 'number') return e.port;
  const m = /port (\d+)|:(\d+)\s*$/.exec(String(e.message ?? ''));
  return m ? Number(m[1] ?? m[2]) : undefined;
}

/** A listener the command starts, and how the user chooses its port. */
export interface PortSource {
  port: number;
  /** e.g. `--idp-port` or `PORT`. */
  setting: string;
}

/**
 * `port 8080 is already in use (change it with --idp-port; 0 picks a free port)` — or, when the
 * failing port is unknown, every setting that could be the cause.
 */
export function portInUseMessage(port: number | undefined, sources: readonly PortSource[], opts: { host?: string; hint?: string } = {}): string {
  const matching = port === undefined ? [] : sources.filter((s) => s.port === port);
  const settings = (matching.length ? matching : sources).map((s) => s.setting);
  const which = port === undefined ? 'a port is already in use' : `port ${port} is already in use`;
  return `${which}${opts.host ? ` on ${opts.host}` : ''} (change it with ${settings.join(' or ')}${opts.hint ? `; ${opts.hint}` : ''})`;
}
