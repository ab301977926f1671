/**
 * The M2M examples, run as a user runs them (subprocesses), against a gateway that serves the
 * demo protected API (ZITAUTH_SERVE_SPA=true) next to a dev IdP — in both configuration modes.
 * A wrong API key with quotes and markup is refused without the gateway (or the example)
 * echoing it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { SERVICE_USER_ROLES } from '../../src/devidp/index.ts';
import { CONFIG_MODES, freePort, startStack, type Stack } from '../support/stack.ts';
import { cleanEnv } from '../build/process.ts';

const ROOT = resolve(import.meta.dir, '../..');
const API_KEY = 'examples-test-api-key-0123456789';
/** Visible ASCII (what an API key may be), but hostile: quotes, markup, a shell metacharacter. */
const WRONG_KEY = `wrong-"key"-<script>-$(id)-0123456789`;

async function runExample(cmd: string[], env: Record<string, string>) {
  const p = Bun.spawn(cmd, { cwd: ROOT, env: cleanEnv(env), stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

const EXAMPLES = {
  'TypeScript (@zitauth/client)': ['bun', 'examples/m2m-sim.ts'],
  'Python (stdlib)': ['python3', 'examples/python/m2m_sim.py'],
} as const;

describe.each(CONFIG_MODES)('M2M examples (%s endpoints)', (mode) => {
  let stack: Stack;
  let keyed: { url: string; stop(): Promise<void> };

  beforeAll(async () => {
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    stack = await startStack({ mode, port, env: { SPA_ORIGIN: url, ZITAUTH_SERVE_SPA: 'true' } });
    keyed = await stack.gateway({ ZITAUTH_M2M_API_KEYS: API_KEY });
  });

  afterAll(async () => {
    await stack?.close();
  });

  for (const [name, cmd] of Object.entries(EXAMPLES)) {
    describe(`M2M example: ${name}`, () => {
      test('gets a service-user token and calls the protected API', async () => {
        const r = await runExample([...cmd], { ZITAUTH_URL: stack.url });
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(r.out).toContain('protected API answered HTTP 200');
        expect(r.out).toContain(`"sub": "${stack.idp.serviceUserKey.userId}"`);
        expect(r.out).toContain(`"${SERVICE_USER_ROLES[0]}"`);
        expect(r.out).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./); // the token is never printed
      });

      test('sends ZITAUTH_API_KEY when the gateway requires one; a wrong one is refused, never echoed', async () => {
        const denied = await runExample([...cmd], { ZITAUTH_URL: keyed.url, PROTECTED_API_URL: stack.url });
        expect(denied.code).toBe(1);
        expect(denied.err).toContain('token request failed: HTTP 401');
        const wrong = await runExample([...cmd], { ZITAUTH_URL: keyed.url, PROTECTED_API_URL: stack.url, ZITAUTH_API_KEY: WRONG_KEY });
        expect(wrong.code).toBe(1);
        expect(wrong.err).toContain('token request failed: HTTP 401 invalid_client');
        expect(`${wrong.out}${wrong.err}`).not.toContain('<script>');
        expect(`${wrong.out}${wrong.err}`).not.toContain('"key"');
        const ok = await runExample([...cmd], { ZITAUTH_URL: keyed.url, PROTECTED_API_URL: stack.url, ZITAUTH_API_KEY: API_KEY });
        expect(ok.code).toBe(0);
        expect(ok.out).toContain(`"sub": "${stack.idp.serviceUserKey.userId}"`);
      });

      test('says where the demo API is when the gateway does not serve it', async () => {
        const bare = await stack.gateway({ ZITAUTH_SERVE_SPA: undefined });
        try {
          const r = await runExample([...cmd], { ZITAUTH_URL: bare.url });
          expect(r.code).toBe(1);
          expect(r.out).toContain('received a Bearer token');
          expect(r.err).toContain(`the gateway at ${bare.url} serves no demo API`);
          expect(r.err).toContain('PROTECTED_API_URL');
        } finally {
          await bare.stop();
        }
      });
    });
  }
});

// No IdP involved: the configuration mode makes no difference here.
for (const [name, cmd] of Object.entries(EXAMPLES)) {
  describe(`M2M example: ${name}, no gateway`, () => {
    test('names the URL when nothing answers there', async () => {
      const url = `http://127.0.0.1:${freePort()}`;
      const r = await runExample([...cmd], { ZITAUTH_URL: url });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`no gateway answers at ${url}`);
      expect(r.err).toContain('ZITAUTH_URL');
      expect(r.err).not.toContain('HTTP 503');
    });

    test('says so when something other than ZitAuth answers there', async () => {
      const other = Bun.serve({
        port: 0,
        hostname: '127.0.0.1',
        fetch: () => new Response('<h1>Service Unavailable — 山田</h1>', { status: 503, headers: { 'content-type': 'text/html; charset=utf-8' } }),
      });
      try {
        const url = `http://127.0.0.1:${other.port}`;
        const r = await runExample([...cmd], { ZITAUTH_URL: url });
        expect(r.code).toBe(1);
        expect(r.err).toContain(`${url} is not a ZitAuth gateway: /healthz answered HTTP 503, text/html`);
        expect(r.err).not.toContain('token request failed');
      } finally {
        await other.stop(true);
      }
    });
  });
}
