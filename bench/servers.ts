/**
 * Starts the servers of `bun run bench` (bench/scenarios.ts names them), each as its own process
 * pinned to the servers' core, on a free loopback port.
 */
import { join } from 'node:path';
import { startGateway } from './gateway.ts';
import type { IdpInfo } from './idp.ts';
import { spawnAnnounced, stopChild } from './procs.ts';
import type { BenchRedis } from './redis.ts';
import type { ServerId } from './scenarios.ts';

/** A running server: where to send the load and whose CPU to read. */
export interface Running {
  origin: string;
  pid: number;
  /** Helper processes whose CPU is reported beside the server's (Redis). */
  sidePids: number[];
  stop(): Promise<void>;
}

export interface ServerContext {
  /** An empty working directory (no stray .env for the gateway). */
  work: string;
  idp: IdpInfo;
  /** Node 20 for the Fastify peer. */
  node: string;
  /** Pre-chosen ports of the session-mode gateways (their callbacks are registered at the IdP). */
  sessionPorts: { memory: number; redis: number };
  /** Started on first need. */
  redis: () => Promise<BenchRedis>;
}

const HERE = import.meta.dir;
const ROOT = join(HERE, '..');

/** The gateway's cache size when not told otherwise: its own default, shared by the Fastify peer. */
const GATEWAY_CACHE_SIZE = 10_000;

export async function startServer(id: ServerId, c: ServerContext): Promise<Running> {
  const I = c.idp;
  const announced = async (cmd: string[], env: Record<string, string>, cwd?: string): Promise<Running> => {
    const child = await spawnAnnounced<{ port: number }>(cmd, env, cwd);
    return { origin: `http://127.0.0.1:${child.info.port}`, pid: child.proc.pid, sidePids: [], stop: child.stop };
  };
  const gateway = async (env: Record<string, string>, port?: number, sidePids: number[] = []): Promise<Running> => {
    const gw = await startGateway(c.work, { ZITADEL_DOMAIN: I.issuer, ZITADEL_CLIENT_ID: I.clientId, ZITAUTH_PROJECT_ID: I.projectId, ...env }, port);
    return { origin: gw.url, pid: gw.pid, sidePids, stop: () => stopChild(gw.proc) };
  };
  const verifierEnv = { BENCH_JWKS_URI: I.jwksUri, BENCH_ISSUER: I.issuer, BENCH_AUDIENCE: I.projectId };
  switch (id) {
    case 'floor':
      // The same claims as the gateway answers with, so the bodies are the same size.
      return announced([process.execPath, join(HERE, 'baseline-json.ts')], { BENCH_CLAIMS: Buffer.from(I.token.split('.')[1]!, 'base64url').toString() });
    case 'jose':
      return announced([process.execPath, join(HERE, 'baseline-jose.ts')], verifierEnv);
    case 'minimal':
    case 'minimalCold':
      return announced([process.execPath, join(HERE, 'baseline-minimal.ts')], { ...verifierEnv, BENCH_CACHE_SIZE: String(id === 'minimal' ? GATEWAY_CACHE_SIZE : 0) });
    case 'fastify':
    case 'fastifyCold':
      // cwd = the repository, so Node resolves the dev dependencies from its node_modules.
      return announced([c.node, join(HERE, 'peers', 'fastify.mjs')], { ...verifierEnv, BENCH_CACHE_SIZE: String(id === 'fastify' ? GATEWAY_CACHE_SIZE : 0) }, ROOT);
    case 'hono':
      return announced([process.execPath, join(HERE, 'peers', 'hono.ts')], verifierEnv);
    case 'gwAll':
      // ZITAUTH_ACCESS_LOG unset: the default (all) is what is measured.
      return gateway({});
    case 'gwErrors':
      return gateway({ ZITAUTH_ACCESS_LOG: 'errors' });
    case 'gwCold':
      return gateway({ ZITAUTH_CACHE_SIZE: '0' });
    case 'gwSessionMemory':
      return gateway({ ZITAUTH_LOGIN_MODE: 'session', ZITAUTH_SESSION_STORE: 'memory' }, c.sessionPorts.memory);
    case 'gwSessionRedis': {
      const redis = await c.redis();
      return gateway({ ZITAUTH_LOGIN_MODE: 'session', ZITAUTH_SESSION_STORE: 'redis', ZITAUTH_REDIS_URL: redis.url }, c.sessionPorts.redis, [redis.pid]);
    }
  }
}
