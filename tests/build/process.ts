/** Child-process helpers for tests that run the compiled binary or example scripts. */
import type { Subprocess } from 'bun';

export interface Running {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Everything written to stdout/stderr so far. */
  output(): string;
  /** Resolves with the output once `pattern` appears in it; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

/** Spawns `cmd` and collects its output in the background. */
export function run(cmd: string[], opts: { cwd: string; env: Record<string, string | undefined> }): Running {
  const proc = Bun.spawn(cmd, { cwd: opts.cwd, env: opts.env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  let text = '';
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  return {
    proc,
    output: () => text,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const m = text.match(pattern);
        if (m) return m;
        if (proc.exitCode !== null) throw new Error(`process exited (${proc.exitCode}) before ${pattern}:\n${text}`);
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${text}`);
        await Bun.sleep(25);
      }
    },
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return proc.exited;
    },
  };
}

/** Polls `url` until it answers 200 (or throws after `timeoutMs`). */
export async function waitForOk(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer 200 in time`);
    await Bun.sleep(25);
  }
}

/** Minimal environment for a child: no inherited ZitAuth/Zitadel settings leak into a test. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  return { ...base, ...extra };
}
