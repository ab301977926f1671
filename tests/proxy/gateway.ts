/**
 * A gateway that answers forward-auth with `redirect=login`. Uses the stack's own app when it
 * already wires {@link BrowserLogin}; otherwise composes core + validate routes over the stack's
 * services (same validator, config and metrics) with the login redirect configured.
 */
import { Elysia } from 'elysia';
import { corePlugin } from '../../src/http/core.ts';
import { validateRoutes } from '../../src/http/validate.ts';
import type { Stack } from '../support/stack.ts';

export async function browserLoginGateway(stack: Stack, originalUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const probe = await fetch(`${stack.url}/api/v1/forward-auth?redirect=login`, {
    redirect: 'manual',
    headers: { accept: 'text/html', 'x-original-url': originalUrl },
  });
  if (probe.status === 302) return { url: stack.url, stop: async () => {} };
  const s = stack.services;
  const app = new Elysia()
    .use(corePlugin({ logger: s.logger, metrics: s.metrics }))
    .use(
      validateRoutes({
        validator: s.validator,
        claimHeaders: s.config.forwardAuthClaimHeaders,
        browserLogin: {
          loginUrl: new URL('/api/v1/login', s.config.redirectUri).href,
          spaOrigin: s.config.spaOrigin,
          returnToOrigins: s.config.returnToOrigins,
        },
      }),
    )
    .listen({ port: 0, hostname: '127.0.0.1' });
  return { url: `http://127.0.0.1:${app.server!.port}`, stop: async () => { await app.stop(true); } };
}
