import { defaulted, int, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';

/** Where the gateway listens. */
export interface ServerConfig {
  port: number;
  host: string;
}

export function serverSection(env: Env, problems: Problems): ServerConfig {
  return { port: int(env, problems, 'PORT', 0, 65535), host: defaulted(env, 'ZITAUTH_HOST') };
}
