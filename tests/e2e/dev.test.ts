/**
 * `zitauth dev` wiring, in-process: the standalone SPA origin (the original demo's :3001) can log
 * in through the gateway and log out back to itself; options parse as documented.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolve } from 'node:path';
import { parseDevArgs, publicHost, startDev, type DevStack } from '../../src/dev/index.ts';
import { devBanner } from '../../src/dev/banner.ts';
import { devStartFailure } from '../../src/dev/options.ts';
import { VERSION } from '../../src/version.ts';
import { cleanEnv } from '../build/process.ts';
import { finishGatewayLogin, fragmentOf, startGatewayLogin } from '../support/gateway-login.ts';

describe('parseDevArgs', () => {
  test('defaults: loopback, 8000/8080/3001, ./.zitauth-dev', () => {
    expect(parseDevArgs([], {})).toEqual({ port: 8000, idpPort: 8080, spaPort: 3001, host: '127.0.0.1', dir: '.zitauth-dev' });
    expect(parseDevArgs([], { PORT: '9000' })).toMatchObject({ port: 9000 });
  });
  test('flags, with space or =', () => {
    expect(parseDevArgs(['--port=0', '--idp-port', '0', '--no-spa', '--host', '0.0.0.0', '--dir', 'x'], {})).toEqual({
      port: 0,
      idpPort: 0,
      spaPort: null,
      host: '0.0.0.0',
      dir: 'x',
    });
    expect(parseDevArgs(['-h'], {})).toBe('help');
  });
  test('bad input is a usage error', () => {
    expect(() => parseDevArgs(['--port', 'abc'], {})).toThrow('--port needs a port number');
    expect(() => parseDevArgs(['--bogus'], {})).toThrow('unknown option');
  });
  test('a busy port is told as the flag that moves it', () => {
    const o = { port: 8000, idpPort: 8080, spaPort: 3001, host: '127.0.0.1', dir: 'x' };
    const busy = (port: number) => Object.assign(new Error(`Failed to start server. Is port ${port} in use?`), { code: 'EADDRINUSE' });
    expect(devStartFailure(busy(8080), o)).toBe('port 8080 is already in use on 127.0.0.1 (change it with --idp-port; 0 picks a free port)');
    expect(devStartFailure(busy(3001), o)).toBe('port 3001 is already in use on 127.0.0.1 (change it with --spa-port; 0 picks a free port)');
    // Two listeners asked for the same port: both flags are named.
    expect(devStartFailure(busy(8000), { ...o, idpPort: 8000 })).toContain('change it with --port or --idp-port');
    // Unknown port: every flag is a candidate.
    expect(devStartFailure(Object.assign(new Error('in use'), { code: 'EADDRINUSE' }), o)).toBe(
      'a port is already in use on 127.0.0.1 (change it with --port or --idp-port or --spa-port; 0 picks a free port)',
    );
    expect(devStartFailure(new Error('山田: something else'), o)).toBe('山田: something else');
  });
  test('one public host name for loopback and wildcard binds', () => {
    expect(publicHost('127.0.0.1')).toBe('localhost');
    expect(publicHost('0.0.0.0')).toBe('localhost');
    expect(publicHost('192.168.1.5')).toBe('192.168.1.5');
  });
});

describe('dev stack', () => {
  let dev: DevStack;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zitauth-dev-'));
    dev = await startDev({ port: 0, idpPort: 0, spaPort: 0, host: '127.0.0.1', dir }, { ZITAUTH_LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    await dev?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the banner's M2M commands carry this gateway's URL, and work as printed", async () => {
    const root = resolve(import.meta.dir, '../..');
    const lines = devBanner(dev, VERSION, root).split('\n').map((l) => l.trim());
    expect(lines).toContain(`ZITAUTH_URL=${dev.gatewayUrl} npx -y bun@1.4 examples/m2m-sim.ts`);
    expect(lines).toContain(`ZITAUTH_URL=${dev.gatewayUrl} python3 examples/python/m2m_sim.py`);
    const url = /ZITAUTH_URL=(\S+)/.exec(lines.find((l) => l.includes('m2m-sim.ts'))!)![1]!;
    const p = Bun.spawn(['bun', 'examples/m2m-sim.ts'], { cwd: root, env: cleanEnv({ ZITAUTH_URL: url }), stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('protected API answered HTTP 200');
  });

  test('without examples/ beside it (the lone binary), the banner shows the same flow with curl', () => {
    const text = devBanner(dev, VERSION, dir);
    expect(text).not.toContain('examples/');
    expect(text).toContain(`curl -s ${dev.gatewayUrl}/api/v1/m2m-token`);
    expect(text).toContain(`${dev.gatewayUrl}/api/protected`);
  });

  test('the standalone SPA logs in through the gateway and comes back to its own origin', async () => {
    const spa = dev.spaUrl!;
    const cfg = (await (await fetch(`${spa}/spa-config.json`)).json()) as { gatewayUrl: string; returnTo: string };
    expect(cfg).toEqual({ gatewayUrl: dev.gatewayUrl, returnTo: `${spa}/` });

    const pending = await startGatewayLogin(dev.idp, cfg.gatewayUrl, { query: { return_to: cfg.returnTo } });
    const res = await finishGatewayLogin(pending);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toStartWith(`${spa}/#`);
    const token = fragmentOf(res).get('access_token')!;

    const p = await fetch(`${spa}/api/protected`, { headers: { authorization: `Bearer ${token}` } });
    expect(p.status).toBe(200);
    expect(((await p.json()) as { sub: string }).sub).toBe('300000000000000010');
    const u = await fetch(`${spa}/api/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await u.json()) as { userinfo: { email: string } }).userinfo.email).toBe('demo@zitauth.localhost');
    const bad = await fetch(`${spa}/api/protected`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');

    const out = await fetch(
      `${cfg.gatewayUrl}/api/v1/logout?${new URLSearchParams({ id_token_hint: fragmentOf(res).get('id_token')!, post_logout_redirect_uri: cfg.returnTo })}`,
      { redirect: 'manual' },
    );
    expect(out.status).toBe(302);
    expect(new URL(out.headers.get('location')!).origin).toBe(dev.idp.issuer);
  });
});
