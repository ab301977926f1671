/**
 * The command line as a new user meets it, run as a subprocess from an empty directory: every
 * command answers --help, typos are usage errors, a busy port is named with the flag or variable
 * that moves it, and `check-config --probe` shows what the identity provider offers (or why not).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.ts';
import { CONFIG_MODES, explicitEndpoints, freePort } from '../support/stack.ts';
import { cleanEnv } from '../build/process.ts';

const MAIN = resolve(import.meta.dir, '../../src/main.ts');
let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'zitauth-cli-'));
});
afterAll(() => {
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** Runs `zitauth <args>` (from source) without blocking this process: in-process IdPs keep answering. */
async function zitauth(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn(['bun', MAIN, ...args], { cwd, env: cleanEnv(env), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

/** A valid configuration for a gateway in front of `issuer` (no secrets needed). */
const configFor = (issuer: string, port = freePort()): Record<string, string> => ({
  ZITADEL_DOMAIN: issuer,
  ZITADEL_CLIENT_ID: 'zitauth-spa',
  ZITADEL_REDIRECT_URL: `http://127.0.0.1:${port}/api/v1/callback`,
  SPA_ORIGIN: `http://127.0.0.1:${port}`,
  PORT: String(port),
  ZITAUTH_HOST: '127.0.0.1',
  ZITAUTH_LOG_LEVEL: 'error',
  ZITAUTH_HTTP_TIMEOUT_MS: '2000',
});

/** A listener that holds a port for the duration of `fn`. */
async function withBusyPort<T>(fn: (port: number) => Promise<T>): Promise<T> {
  const holder = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('someone else') });
  try {
    return await fn(holder.port!);
  } finally {
    await holder.stop(true);
  }
}

describe('help', () => {
  test.each([['--help'], ['-h'], ['help']])('zitauth %s: usage, no placeholder URL', async (flag) => {
    const r = await zitauth([flag]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: zitauth [command] [options]');
    expect(r.out).not.toMatch(/https?:\/\//);
    expect(r.out).toContain('.env.example');
    expect(r.out).toContain('README.md');
  });

  test.each(['check-config', 'serve', 'healthcheck', 'dev', 'provision'])('zitauth %s --help prints its own usage and exits 0', async (cmd) => {
    for (const flag of ['--help', '-h']) {
      const r = await zitauth([cmd, flag]);
      expect(r.code).toBe(0);
      expect(r.out).toStartWith(`Usage: zitauth ${cmd}`);
    }
  });

  test.each([
    ['serve', '--bogus'],
    ['check-config', '--prob'],
    ['healthcheck', '--port=1'],
  ])('zitauth %s %s is a usage error naming the option', async (cmd, arg) => {
    const r = await zitauth([cmd, arg]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`zitauth ${cmd}: unknown option "${arg}"`);
    expect(r.err).toContain(`Usage: zitauth ${cmd}`);
  });

  test('hostile arguments are not echoed raw', async () => {
    const r = await zitauth(['serve', '--x\x1b[31m山田\r\n']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option "--x?[31m山田??"');
    expect(r.err).not.toContain('\x1b');
  });
});

describe('a port already in use', () => {
  test('serve names the port and PORT, without a stack trace', async () => {
    await withBusyPort(async (port) => {
      const r = await zitauth(['serve'], configFor(`http://127.0.0.1:${freePort()}`, port));
      expect(r.code).toBe(1);
      expect(r.err).toContain(`zitauth serve: cannot start: port ${port} is already in use on 127.0.0.1 (change it with PORT)`);
      expect(r.err).not.toMatch(/^\s+at /m);
    });
  });

  test.each([
    ['--port', ['--idp-port', '0', '--spa-port', '0', '--fragment-port', '0']],
    ['--idp-port', ['--port', '0', '--spa-port', '0', '--fragment-port', '0']],
    ['--spa-port', ['--port', '0', '--idp-port', '0', '--fragment-port', '0']],
    ['--fragment-port', ['--port', '0', '--idp-port', '0', '--spa-port', '0']],
  ])('dev names the port and %s', async (flag, others) => {
    await withBusyPort(async (port) => {
      const dir = join(cwd, `dev-${flag.slice(2)}`);
      const r = await zitauth(['dev', flag, String(port), ...others, '--dir', dir], { ZITAUTH_LOG_LEVEL: 'silent' });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`zitauth dev: cannot start: port ${port} is already in use on 127.0.0.1 (change it with ${flag}; 0 picks a free port)`);
    });
  }, 60_000);
});

describe.each(CONFIG_MODES)('check-config --probe (%s)', (mode) => {
  let idp: DevIdp;
  beforeAll(async () => {
    idp = await startDevIdp({ redirectUris: ['http://127.0.0.1:9/api/v1/callback'], postLogoutRedirectUris: [] });
  });
  afterAll(() => idp?.close());
  const envFor = (issuer: string) => ({ ...configFor(issuer), ...(mode === 'explicit' ? explicitEndpoints(issuer) : {}) });

  test('shows the issuer, the endpoints and the signing keys; exit 0', async () => {
    const r = await zitauth(['check-config', '--probe'], envFor(idp.issuer));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(mode === 'discovery' ? `metadata  OK from discovery ${idp.issuer}/.well-known/openid-configuration` : 'metadata  OK from configured endpoints');
    expect(r.out).toMatch(new RegExp(`issuer\\s+${idp.issuer}\\n`));
    expect(r.out).toMatch(new RegExp(`token_endpoint\\s+${idp.issuer}/oauth/v2/token\\n`));
    expect(r.out).toMatch(new RegExp(`jwks_uri\\s+${idp.issuer}/oauth/v2/keys\\n`));
    expect(r.out).toContain(`kid=${idp.activeKid()} alg=RS256 kty=RSA use=sig`);
    expect(r.out).toContain('Probe OK.');
    // Public keys only: no key material in the output.
    expect(r.out).not.toMatch(/"n"|"e":|AQAB/);
  });

  test('without --probe, nothing is fetched', async () => {
    idp.resetCounts();
    const r = await zitauth(['check-config'], envFor(idp.issuer));
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('Probing');
    expect(Object.values(idp.counts).reduce((a, b) => a + b, 0)).toBe(0);
  });

  test('an identity provider that does not answer: the failure and where, exit 1', async () => {
    const dead = `http://127.0.0.1:${freePort()}`;
    const r = await zitauth(['check-config', '--probe'], envFor(dead));
    expect(r.code).toBe(1);
    expect(r.out).toContain('Configuration OK');
    if (mode === 'discovery') {
      expect(r.err).toContain(`metadata  FAILED from discovery ${dead}/.well-known/openid-configuration`);
    } else {
      // Explicit endpoints need no discovery; the JWKS is the first request.
      expect(r.err).toContain(`jwks      FAILED from ${dead}/oauth/v2/keys`);
    }
    expect(r.err).toMatch(/ECONNREFUSED|unreachable/);
    expect(r.err).toContain('Probe failed');
  });

  test('no key usable with ZITAUTH_ALLOWED_ALGS: exit 1 naming the setting', async () => {
    const r = await zitauth(['check-config', '--probe'], { ...envFor(idp.issuer), ZITAUTH_ALLOWED_ALGS: 'ES256' });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`kid=${idp.activeKid()} alg=RS256`);
    expect(r.err).toContain('no signing key the gateway accepts (ZITAUTH_ALLOWED_ALGS=ES256)');
  });
});

describe('check-config --probe against a misbehaving identity provider', () => {
  let fake: ReturnType<typeof Bun.serve>;
  let base: string;
  beforeAll(() => {
    fake = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        if (path === '/.well-known/openid-configuration') {
          return Response.json({ issuer: 'https://someone-else.example', authorization_endpoint: `${base}/a`, token_endpoint: `${base}/t`, jwks_uri: `${base}/keys` });
        }
        if (path === '/keys') return Response.json({ keys: [{ kid: 'k\x1b[31m山田\r\n"', alg: 'RS256', kty: 'RSA', use: 'sig', n: 'secret-looking', e: 'AQAB' }] });
        if (path === '/not-a-jwks') return new Response('<html>login</html>', { headers: { 'content-type': 'text/html' } });
        return new Response('not found', { status: 404 });
      },
    });
    base = `http://127.0.0.1:${fake.port}`;
  });
  afterAll(() => fake?.stop(true));

  test('an issuer that is not ZITADEL_DOMAIN is refused', async () => {
    const r = await zitauth(['check-config', '--probe'], configFor(base));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`metadata  FAILED from discovery ${base}/.well-known/openid-configuration`);
    expect(r.err).toContain('issuer');
  });

  test('key ids from the IdP cannot write control characters to the terminal', async () => {
    const r = await zitauth(['check-config', '--probe'], { ...configFor(base), ...explicitEndpoints(base), ZITADEL_JWKS_URI: `${base}/keys` });
    expect(r.code).toBe(0);
    expect(r.out).toContain('kid=k?[31m山田??" alg=RS256 kty=RSA use=sig');
    expect(r.out).not.toContain('\x1b');
    expect(r.out).not.toContain('secret-looking');
  });

  test('a JWKS URL that answers something else', async () => {
    const r = await zitauth(['check-config', '--probe'], { ...configFor(base), ...explicitEndpoints(base), ZITADEL_JWKS_URI: `${base}/not-a-jwks` });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`jwks      FAILED from ${base}/not-a-jwks: the answer is not a JWK set`);
  });
});
