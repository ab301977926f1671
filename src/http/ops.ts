import { Elysia, t } from 'elysia';
import type { Metrics } from '../observability/metrics.ts';
import type { Readiness } from '../tokens/lazy-validator.ts';

const Checks = t.Object({ discovery: t.Boolean(), jwks: t.Boolean(), store: t.Boolean({ description: 'The state store (Redis) answers; always true for the memory store' }) });

/**
 * Liveness, readiness and Prometheus metrics.
 *
 * Readiness is about the IdP (endpoints known, keys in hand): without them nothing validates. A
 * failing state store (Redis) makes the answer `degraded`, still 200: every replica shares that
 * store, so taking replicas out of the load balancer would only stop the token checks, which
 * still work, while the session routes answer 503 + Retry-After on every replica alike.
 */
export function opsRoutes(deps: { readiness: () => Promise<Readiness>; storeHealthy: () => Promise<boolean>; metrics: Metrics; version: string }) {
  const { readiness, metrics } = deps;
  return new Elysia({ name: 'zitauth/ops' })
    .get('/healthz', () => ({ status: 'ok' as const, version: deps.version }), {
      response: { 200: t.Object({ status: t.Literal('ok'), version: t.String() }, { examples: [{ status: 'ok', version: '1.0.0' }] }) },
      detail: { tags: ['Operations'], summary: 'Liveness: the process answers' },
    })
    .get(
      '/readyz',
      async ({ status }) => {
        // Ready = the endpoints known and a key set in hand; asking also warms both up.
        const [idp, store] = await Promise.all([readiness(), deps.storeHealthy()]);
        const checks = { ...idp, store };
        if (!(checks.discovery && checks.jwks)) return status(503, { status: 'not_ready' as const, checks });
        return { status: store ? ('ready' as const) : ('degraded' as const), checks };
      },
      {
        response: {
          200: t.Object(
            { status: t.Union([t.Literal('ready'), t.Literal('degraded')], { description: 'degraded: the state store fails (session routes 503), token checks work' }), checks: Checks },
            { examples: [{ status: 'ready', checks: { discovery: true, jwks: true, store: true } }] },
          ),
          503: t.Object(
            { status: t.Literal('not_ready'), checks: Checks },
            { description: 'Not ready: the checks that failed are false', examples: [{ status: 'not_ready', checks: { discovery: false, jwks: false, store: true } }] },
          ),
        },
        detail: { tags: ['Operations'], summary: 'Readiness: discovery loaded and JWKS in hand (state store reported)' },
      },
    )
    .get(
      '/metrics',
      () => new Response(metrics.render(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }),
      {
        response: { 200: t.String({ description: 'Prometheus text exposition format 0.0.4' }) },
        detail: { tags: ['Operations'], summary: 'Prometheus metrics' },
      },
    );
}
