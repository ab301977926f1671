import { Elysia, t } from 'elysia';
import type { Metrics } from '../observability/metrics.ts';
import type { Readiness } from '../tokens/lazy-validator.ts';

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(deps: { readiness: () => Promise<Readiness>; metrics: Metrics; version: string }) {
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
        const checks = await readiness();
        const ok = checks.discovery && checks.jwks;
        return ok ? { status: 'ready' as const, checks } : status(503, { status: 'not_ready' as const, checks });
      },
      {
        response: {
          200: t.Object(
            { status: t.Literal('ready'), checks: t.Object({ discovery: t.Boolean(), jwks: t.Boolean() }) },
            { examples: [{ status: 'ready', checks: { discovery: true, jwks: true } }] },
          ),
          503: t.Object(
            { status: t.Literal('not_ready'), checks: t.Object({ discovery: t.Boolean(), jwks: t.Boolean() }) },
            { description: 'Not ready: the checks that failed are false', examples: [{ status: 'not_ready', checks: { discovery: false, jwks: false } }] },
          ),
        },
        detail: { tags: ['Operations'], summary: 'Readiness: discovery loaded and JWKS fresh' },
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
