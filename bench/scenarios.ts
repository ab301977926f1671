/**
 * What `bun run bench` measures: the servers, the scenarios and the measured cells (one server
 * under one scenario's load). Data only; bench/run.ts starts what the selected cells need and
 * drives them, bench/report.ts judges them.
 */

/** The servers side by side. Every one is pinned to the servers' core (bench/procs.ts). */
export const SERVERS = {
  floor: 'bare Bun.serve, fixed JSON (the floor)',
  jose: 'bare Bun + jose, verifies every request',
  minimal: 'bare Bun + token Map + node:crypto on a miss (reference)',
  minimalCold: 'bare Bun + node:crypto on every request (reference)',
  fastify: 'Node + Fastify + @fastify/jwt + get-jwks, token cache on',
  fastifyCold: 'Node + Fastify + @fastify/jwt + get-jwks, token cache off',
  hono: 'Bun + Hono hono/jwk (no token cache)',
  gwAll: 'zitauth, ZITAUTH_ACCESS_LOG=all (default)',
  gwErrors: 'zitauth, ZITAUTH_ACCESS_LOG=errors',
  gwCold: 'zitauth, ZITAUTH_CACHE_SIZE=0',
  gwSessionMemory: 'zitauth session mode, memory store',
  gwSessionRedis: 'zitauth session mode, Redis store',
} as const;
export type ServerId = keyof typeof SERVERS;

export const SCENARIOS = {
  repeated: 'one repeated token, /validate',
  pool: '5,000 users\u2019 tokens cycled, /validate',
  cold: 'distinct tokens, every request a signature check, /validate',
  junk: 'junk JWT-shaped tokens (401), /validate',
  'forward-auth': 'one repeated token, /forward-auth',
  session: 'session cookie, /forward-auth and /api/v1/session',
  rss: 'RSS after 1,000,000 distinct tokens',
} as const;
export type ScenarioId = keyof typeof SCENARIOS;

/** The load a cell sends: one token, a file of tokens cycled, or one session's cookie. */
export type Load = 'token' | 'pool' | 'distinct' | 'junk' | 'cookie';

export interface Cell {
  /** Stable key, `scenario/server[/path]`, for results and ratios. */
  key: string;
  scenario: Exclude<ScenarioId, 'rss'>;
  server: ServerId;
  path: string;
  load: Load;
  /** The status every answer must have (wrk counts the others). */
  status: 200 | 401;
  label: string;
}

const VALIDATE = '/api/v1/validate';
const FORWARD_AUTH = '/api/v1/forward-auth';
const SESSION = '/api/v1/session';

const cell = (scenario: Cell['scenario'], server: ServerId, load: Load, path = VALIDATE, status: Cell['status'] = 200): Cell => ({
  key: `${scenario}/${server}${path === VALIDATE ? '' : path.slice('/api/v1'.length)}`,
  scenario,
  server,
  path,
  load,
  status,
  label: `${SERVERS[server]}${path === VALIDATE ? '' : `, ${path}`}`,
});

/** Every cell, in the order a round runs them (each scenario's cells back to back). */
export const CELLS: readonly Cell[] = [
  cell('repeated', 'floor', 'token'),
  cell('repeated', 'minimal', 'token'),
  cell('repeated', 'jose', 'token'),
  cell('repeated', 'fastify', 'token'),
  cell('repeated', 'hono', 'token'),
  cell('repeated', 'gwAll', 'token'),
  cell('repeated', 'gwErrors', 'token'),
  cell('pool', 'minimal', 'pool'),
  cell('pool', 'fastify', 'pool'),
  cell('pool', 'hono', 'pool'),
  cell('pool', 'gwAll', 'pool'),
  cell('pool', 'gwErrors', 'pool'),
  cell('cold', 'minimalCold', 'distinct'),
  cell('cold', 'jose', 'distinct'),
  cell('cold', 'fastifyCold', 'distinct'),
  cell('cold', 'hono', 'distinct'),
  cell('cold', 'gwCold', 'distinct'),
  cell('junk', 'jose', 'junk', VALIDATE, 401),
  cell('junk', 'fastify', 'junk', VALIDATE, 401),
  cell('junk', 'hono', 'junk', VALIDATE, 401),
  cell('junk', 'gwAll', 'junk', VALIDATE, 401),
  cell('forward-auth', 'gwAll', 'token', FORWARD_AUTH),
  cell('session', 'gwSessionMemory', 'cookie', FORWARD_AUTH),
  cell('session', 'gwSessionMemory', 'cookie', SESSION),
  cell('session', 'gwSessionRedis', 'cookie', FORWARD_AUTH),
  cell('session', 'gwSessionRedis', 'cookie', SESSION),
];

/** Cells other scenarios are compared with: run whenever those are selected. */
const NEEDS: Partial<Record<ScenarioId, string[]>> = {
  // Every p99 is judged against the floor's.
  repeated: [],
  pool: ['repeated/floor'],
  cold: ['repeated/floor'],
  junk: ['repeated/floor'],
  'forward-auth': ['repeated/floor', 'repeated/gwAll'],
  session: ['repeated/floor', 'forward-auth/gwAll/forward-auth'],
};

/**
 * The scenarios named in BENCH_SCENARIOS (comma list; all when unset) and the cells they need.
 * Throws on an unknown name, listing the known ones.
 */
export function selectScenarios(filter: string | undefined): { scenarios: Set<ScenarioId>; cells: Cell[] } {
  const known = Object.keys(SCENARIOS) as ScenarioId[];
  const names = filter?.trim() ? filter.split(',').map((s) => s.trim()).filter(Boolean) : known;
  const bad = names.filter((n) => !(known as string[]).includes(n));
  if (bad.length) throw new Error(`BENCH_SCENARIOS: unknown ${bad.join(', ')}; known: ${known.join(', ')}`);
  const scenarios = new Set(names as ScenarioId[]);
  const keys = new Set<string>();
  for (const s of scenarios) {
    for (const c of CELLS) if (c.scenario === s) keys.add(c.key);
    for (const k of NEEDS[s] ?? []) keys.add(k);
  }
  return { scenarios, cells: CELLS.filter((c) => keys.has(c.key)) };
}
