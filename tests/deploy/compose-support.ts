/**
 * Reading docker-compose files offline for the deploy tests: `docker-compose config` (Debian's
 * docker-compose 1.29 resolves variables, anchors, merges and override files without a daemon)
 * and small accessors for the rendered services.
 */
import { $ } from 'bun';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dir, '../..');

export type Service = {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: (string | { published: number | string; target: number | string })[];
  network_mode?: string;
  user?: string;
  restart?: string;
};

export interface ComposeConfig {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

/** The rendered configuration of `files` (the first one is the project file) with `envFile`. */
export async function composeConfig(envFile: string, files: string[] = ['docker-compose.yaml']): Promise<ComposeConfig> {
  const args = files.flatMap((f) => ['-f', f]);
  const res = await $`docker-compose --env-file ${envFile} ${args} config`.cwd(ROOT).quiet().nothrow();
  if (res.exitCode !== 0) throw new Error(`docker-compose config failed:\n${res.stderr}`);
  return Bun.YAML.parse(res.stdout.toString()) as ComposeConfig;
}

/** The value of `--name=value` in a command. */
export const flag = (cmd: string[] | undefined, name: string) => cmd?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** The volume (or host path) mounted at `target`. */
export const mountAt = (svc: Service | undefined, target: string) => svc?.volumes?.find((v) => v.split(':')[1] === target)?.split(':')[0];
