/**
 * Runs a real nginx for tests: foreground, single process, every path (pid, logs, temp dirs)
 * inside a temp directory, so it needs no root and leaves nothing behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

/** The nginx binary, or undefined when none is installed. */
export function findNginx(): string | undefined {
  if (process.env.NGINX_BIN) return process.env.NGINX_BIN;
  return Bun.which('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
}

/**
 * The example config with its three deployment-specific lines replaced: the gateway and app
 * upstream addresses and the listen address. Throws if the example no longer has them, so a
 * rewritten example cannot silently escape the test.
 */
export function instantiateExample(text: string, v: { gateway: string; app: string; port: number }): string {
  const subs: [RegExp, string][] = [
    [/upstream zitauth\s+\{\s*server [^;]+;\s*\}/, `upstream zitauth { server ${v.gateway}; }`],
    [/upstream app\s+\{\s*server [^;]+;\s*\}/, `upstream app { server ${v.app}; }`],
    [/^(\s*)listen [^;]+;/m, `$1listen 127.0.0.1:${v.port};`],
  ];
  let out = text;
  for (const [re, rep] of subs) {
    if (!re.test(out)) throw new Error(`example config no longer matches ${re}`);
    out = out.replace(re, rep);
  }
  return out;
}

export interface RunningNginx {
  url: string;
  dir: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** Starts nginx with `serverConfig` included in a minimal http block; resolves once it accepts connections. */
export async function startNginx(bin: string, serverConfig: string, port: number, opts: { workerConnections?: number } = {}): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'zitauth-nginx-'));
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'zitauth.conf'), serverConfig);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events { worker_connections ${opts.workerConnections ?? 64}; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/zitauth.conf;
}
`,
  );
  const errorLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  // -e: nginx would otherwise open its compiled-in error log (/var/log/nginx) before reading the config.
  const proc: Subprocess = Bun.spawn([bin, '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const url = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    if (proc.exitCode !== null) {
      const stderr = await new Response(proc.stderr as ReadableStream).text();
      throw new Error(`nginx exited (${proc.exitCode}): ${stderr}\n${errorLog()}`);
    }
    try {
      await fetch(`${url}/__nginx_probe`, { redirect: 'manual' });
      up = true;
    } catch {
      await Bun.sleep(25);
    }
  }
  if (!up) {
    proc.kill();
    throw new Error(`nginx did not accept connections on ${url}\n${errorLog()}`);
  }
  return {
    url,
    dir,
    errorLog,
    stop: async () => {
      proc.kill('SIGQUIT');
      await proc.exited;
    },
  };
}
