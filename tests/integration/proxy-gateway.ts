/**
 * A tiny gateway for the proxy's integration tests: a real Bun.serve on a loopback port whose
 * only route is `/api/v1/proxy/{name}/…`, wired from the proxy library exactly as the session
 * routes will wire it (raw parts from request.url → allow-list → targetUrl → header rules →
 * forward), minus the session: the access token and identity are fixed inputs here.
 *
 * `buffer: true` makes it a deliberately bad proxy that reads both bodies into memory — the
 * control that shows the RSS measurement would catch buffering.
 */
import { errorResponse } from '../../src/http/core.ts';
import { InvalidRequest, ZitAuthError, toZitAuthError } from '../../src/errors.ts';
import { headerValue } from '../../src/http/validate/identity-headers.ts';
import { forward } from '../../src/proxy/forward.ts';
import { upstreamRequestHeaders } from '../../src/proxy/headers.ts';
import { proxyPathParts, targetUrl } from '../../src/proxy/target.ts';
import { parseUpstreams } from '../../src/proxy/upstreams.ts';

export const PROXY_PREFIX = '/api/v1/proxy/';
export const GATEWAY_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiLlsbHnlLDlpKrpg44ifQ.sig-for-tests';
export const GATEWAY_IDENTITY: [string, string][] = [
  ['x-auth-request-user', '312909075211944585'],
  ['x-auth-request-preferred-username', headerValue('山田太郎')!],
  ['x-auth-request-email', headerValue('josé@exämple.com')!],
  ['x-auth-request-roles', headerValue('管理者,viewer')!],
];
export const isGatewayCookie = (n: string) => n === '__Host-zitauth_session' || n.startsWith('zitauth_login_');

export interface ProxyGateway {
  url: string;
  /** Codes of every ZitAuthError the gateway answered (or tried to answer) with. */
  failures: string[];
  stop(): Promise<void>;
}

export function startProxyGateway(opts: { upstreams: string; timeoutMs: number; buffer?: boolean }): ProxyGateway {
  const { upstreams, problems } = parseUpstreams(opts.upstreams);
  if (problems.length) throw new Error(problems.join('; '));
  const failures: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    maxRequestBodySize: 128 * 1024 * 1024,
    async fetch(request, srv) {
      try {
        const parts = proxyPathParts(request.url, PROXY_PREFIX);
        const upstream = parts && upstreams.get(parts.name);
        if (!parts || !upstream) throw new ZitAuthError('NOT_FOUND', 404, 'invalid_request', 'No such upstream.');
        const target = targetUrl(upstream, parts.rest, parts.search);
        if (!target) throw new InvalidRequest('The proxied path is not allowed.');
        const headers = upstreamRequestHeaders(request.headers, {
          accessToken: GATEWAY_TOKEN,
          identity: GATEWAY_IDENTITY,
          target,
          clientAddress: srv.requestIP(request)?.address,
          proto: 'http',
        });
        if (!opts.buffer) return await forward(request, target, headers, { timeoutMs: opts.timeoutMs, isGatewayCookie });
        const body = request.body === null ? null : await request.arrayBuffer();
        const buffered = new Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal });
        const res = await forward(buffered, target, headers, { timeoutMs: opts.timeoutMs, isGatewayCookie });
        return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
      } catch (err) {
        const e = toZitAuthError(err);
        failures.push(e.code);
        return errorResponse(e);
      }
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, failures, stop: () => server.stop(true) };
}
