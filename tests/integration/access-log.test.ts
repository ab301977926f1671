/**
 * ZITAUTH_ACCESS_LOG: the access line of /validate and /forward-auth is on by default (operators
 * expect it), `errors` keeps only answers ≥ 400, `off` none; other routes always log and metrics
 * always count. Native (served) routes and the framework path behave alike.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { bearerGet } from '../support/gateway-login.ts';

describe.each(CONFIG_MODES)('access log modes (%s endpoints)', (mode) => {
  let stack: Stack;
  let token: string;
  beforeAll(async () => {
    stack = await startStack({ mode });
    token = await stack.idp.mintAccessToken({ claims: { name: 'Zoë 🧪' } });
  });
  afterAll(() => stack.close());

  /** Access lines for `route` written while `fn` ran, as [route, status] pairs. */
  async function linesDuring(fn: () => Promise<unknown>): Promise<string[]> {
    const from = stack.logs.length;
    await fn();
    await Bun.sleep(20);
    return stack.logs
      .slice(from)
      .map((l) => JSON.parse(l) as { msg: string; route?: string; status?: number })
      .filter((l) => l.msg === 'request')
      .map((l) => `${l.route} ${l.status}`);
  }

  const traffic = async (url: string) => {
    await bearerGet(`${url}/api/v1/validate`, token);
    await bearerGet(`${url}/api/v1/validate?role=${encodeURIComponent('監督者')}`, token);
    await bearerGet(`${url}/api/v1/forward-auth`, token);
    await bearerGet(`${url}/api/v1/forward-auth`, 'junk');
    await fetch(`${url}/healthz`);
  };

  test.each([
    ['all', ['/api/v1/validate 200', '/api/v1/validate 403', '/api/v1/forward-auth 200', '/api/v1/forward-auth 401', '/healthz 200']],
    ['errors', ['/api/v1/validate 403', '/api/v1/forward-auth 401', '/healthz 200']],
    ['off', ['/healthz 200']],
  ] as const)('ZITAUTH_ACCESS_LOG=%s', async (setting, expected) => {
    const g = await stack.gateway({ ZITAUTH_ACCESS_LOG: setting });
    try {
      expect(await linesDuring(() => traffic(g.url))).toEqual([...expected]);
      // Metrics count every request whatever the log setting.
      const metrics = await (await fetch(`${g.url}/metrics`)).text();
      expect(metrics).toContain('zitauth_http_requests_total{route="/api/v1/validate",status="200"} 1');
      expect(metrics).toContain('zitauth_http_requests_total{route="/api/v1/forward-auth",status="401"} 1');
    } finally {
      await g.stop();
    }
  });
});
