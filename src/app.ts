import { Elysia } from 'elysia';
import type { Services } from './services.ts';
import { corePlugin, createAccounting, failureResponder } from './http/core.ts';
import { corsPlugin } from './http/cors.ts';
import { opsRoutes } from './http/ops.ts';
import { authRoutes } from './http/auth.ts';
import { sessionRoutes } from './http/session.ts';
import { backchannelRoutes } from './http/backchannel.ts';
import { proxyRoutes } from './http/proxy.ts';
import { createAnswers, createTokenCheck, FORWARD_AUTH_PATH, nativeTokenRoutes, validateRoutes, VALIDATE_PATH } from './http/validate/index.ts';
import { userinfoRoutes } from './http/userinfo.ts';
import { m2mRoutes } from './http/m2m.ts';
import { docsRoutes } from './http/docs.ts';
import { spaRoutes } from './http/spa.ts';
import { VERSION } from './version.ts';

/**
 * The gateway as one method chain, so `typeof app` carries every route, schema and status for
 * Eden Treaty (style habit 9). All I/O lives in `services`; this file only composes.
 */
export function createApp(s: Services) {
  const accounting = createAccounting({
    logger: s.logger,
    metrics: s.metrics,
    accessLog: s.config.accessLog,
    highVolumeRoutes: [VALIDATE_PATH, FORWARD_AUTH_PATH],
  });
  const answers = createAnswers({
    check: createTokenCheck({ validator: s.validator, onRejected: (e) => s.metrics.recordRejection(e.reason) }),
    fail: failureResponder(s.logger),
    claimHeaders: s.config.forwardAuthClaimHeaders,
    // forward-auth `?redirect=login` sends browsers to our own login route.
    browserLogin: {
      loginUrl: new URL('/api/v1/login', s.config.redirectUri).href,
      spaOrigin: s.config.spaOrigin,
      returnToOrigins: s.config.returnToOrigins,
    },
    sessions: s.sessions,
    forwardAccessToken: s.config.session.forwardAccessToken,
  });
  // Cookie-authenticated routes accept requests from these origins only (CSRF defence).
  const sessionOrigins = new Set([s.config.session.origin, s.config.spaOrigin]);
  return new Elysia({
    name: 'zitauth',
    // The token routes also go straight on Bun's router when served (see http/validate/native.ts).
    serve: { routes: nativeTokenRoutes({ answers, accounting, corsOrigins: s.config.corsOrigins }) },
  })
    .use(corePlugin({ logger: s.logger, accounting }))
    .use(corsPlugin(s.config.corsOrigins, ['/api/v1/validate', '/api/v1/userinfo']))
    .use(opsRoutes({ readiness: () => s.validator.readiness(), storeHealthy: () => s.stores.healthy(), metrics: s.metrics, version: VERSION }))
    .use(authRoutes(s.login, `${s.config.spaOrigin}/`))
    .use(sessionRoutes({ sessions: s.sessions, login: s.login, allowedOrigins: sessionOrigins }))
    .use(
      proxyRoutes({
        sessions: s.sessions,
        upstreams: s.config.session.upstreams,
        timeoutMs: s.config.session.upstreamTimeoutMs,
        allowedOrigins: sessionOrigins,
        claimHeaders: s.config.forwardAuthClaimHeaders,
        proto: s.config.redirectUri.startsWith('https:') ? 'https' : 'http',
      }),
    )
    .use(backchannelRoutes({ ...s.backchannel, log: (f) => s.logger.info('back-channel logout', f) }))
    .use(validateRoutes(answers))
    .use(userinfoRoutes(s.idp))
    .use(m2mRoutes({ gate: s.gate, tokens: s.m2m, unavailableReason: s.m2mUnavailableReason }))
    .use(docsRoutes(VERSION))
    .use(spaRoutes(s.config));
}

/** The gateway's type for Eden Treaty clients: `treaty<App>('http://localhost:8000')`. */
export type App = ReturnType<typeof createApp>;

/**
 * Starts the gateway's HTTP server. Every entry point (serve, dev, tests) goes through here so
 * they all run the same server settings: Bun's production mode (Elysia would otherwise enable
 * development mode unless NODE_ENV=production).
 */
export function listenApp(app: App, opts: { port: number; hostname: string }): App {
  return app.listen({ ...opts, development: false });
}
