/**
 * `zitauth dev` wiring, in-process: the gateway runs in session mode and its page calls the demo
 * API through the proxy; the standalone SPA origin (the original demo's :3001) logs in through
 * the second, fragment-mode gateway and logs out back to itself; one demo API takes both modes'
 * tokens; bound to a non-loopback address the stack falls back to one fragment-mode gateway;
 * options parse as documented.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolve } from 'node:path';
import { parseDevArgs, publicHost, startDev, type DevStack } from '../../src/dev/index.ts';
import { devBanner } from '../../src/dev/banner.ts';
import { devStartFailure } from '../../src/dev/options.ts';
import { VERSION } from '../../src/version.ts';
import { cleanEnv } from '../build/process.ts';
import { finishGatewayLogin, fragmentOf, startGatewayLogin } from '../support/gateway-login.ts';
import { cookieFetch } from '../support/cookie-fetch.ts';
import { sessionLogin } from '../support/session-login.ts';
import { DEMO_USER } from '../../src/devidp/index.ts';
import type { SpaClientConfig } from '../../examples/spa/site.ts';

describe('parseDevArgs', () => {
  test('defaults: loopback, 8000/8080/3001/8001, ./.zitauth-dev', () => {
    expect(parseDevArgs([], {})).toEqual({ port: 8000, idpPort: 8080, spaPort: 3001, fragmentPort: 8001, host: '127.0.0.1', dir: '.zitauth-dev' });
    expect(parseDevArgs([], { PORT: '9000' })).toMatchObject({ port: 9000 });
  });
  test('flags, with space or =', () => {
    expect(parseDevArgs(['--port=0', '--idp-port', '0', '--no-spa', '--fragment-port=9', '--host', '0.0.0.0', '--dir', 'x'], {})).toEqual({
      port: 0,
      idpPort: 0,
      spaPort: null,
      fragmentPort: 9,
      host: '0.0.0.0',
      dir: 'x',
    });
    expect(parseDevArgs(['-h'], {})).toBe('help');
  });
  test('bad input is a usage error', () => {
    expect(() => parseDevArgs(['--port', 'abc'], {})).toThrow('--port needs a port number');
    expect(() => parseDevArgs(['--bogus'], {})).toThrow('unknown option');
    expect(() => parseDevArgs(['--fragment-port', '65536'], {})).toThrow('--fragment-port needs a port number');
    // Echoed arguments are printable, as for the other subcommands (src/cli/args.ts).
    expect(() => parseDevArgs(['--x\x1b[31m山田\r\n'], {})).toThrow('unknown option "--x?[31m山田??"');
    expect(() => parseDevArgs(['--port', '1\x1b[2J'], {})).toThrow('--port needs a port number (0-65535), got "1?[2J"');
  });
  test('a busy port is told as the flag that moves it', () => {
    const o = { port: 8000, idpPort: 8080, spaPort: 3001, fragmentPort: 8001, host: '127.0.0.1', dir: 'x' };
    const busy = (port: number) => Object.assign(new Error(`Failed to start server. Is port ${port} in use?`), { code: 'EADDRINUSE' });
    expect(devStartFailure(busy(8080), o)).toBe('port 8080 is already in use on 127.0.0.1 (change it with --idp-port; 0 picks a free port)');
    expect(devStartFailure(busy(3001), o)).toBe('port 3001 is already in use on 127.0.0.1 (change it with --spa-port; 0 picks a free port)');
    expect(devStartFailure(busy(8001), o)).toBe('port 8001 is already in use on 127.0.0.1 (change it with --fragment-port; 0 picks a free port)');
    // Two listeners asked for the same port: both flags are named.
    expect(devStartFailure(busy(8000), { ...o, idpPort: 8000 })).toContain('change it with --port or --idp-port');
    // Unknown port: every flag is a candidate.
    expect(devStartFailure(Object.assign(new Error('in use'), { code: 'EADDRINUSE' }), o)).toBe(
      'a port is already in use on 127.0.0.1 (change it with --port or --idp-port or --spa-port or --fragment-port; 0 picks a free port)',
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
    dev = await startDev({ port: 0, idpPort: 0, spaPort: 0, fragmentPort: 0, host: '127.0.0.1', dir }, { ZITAUTH_LOG_LEVEL: 'silent' });
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

  test('the gateway runs in session mode: its page calls the demo API through the proxy, never with a token', async () => {
    expect(dev.loginMode).toBe('session');
    const cfg = await (await fetch(`${dev.gatewayUrl}/spa-config.json`)).json();
    expect(cfg).toEqual({ mode: 'session', gatewayUrl: '', returnTo: null, api: { protected: '/api/v1/proxy/demo/protected', userinfo: '/api/v1/proxy/demo/userinfo' } });

    const { jar, callback } = await sessionLogin(dev.idp, dev.gatewayUrl);
    expect(callback.headers.get('location')).toBe(`${dev.gatewayUrl}/`);
    const f = cookieFetch(jar);
    const who = (await (await f(`${dev.gatewayUrl}/api/v1/session`)).json()) as { name: string };
    expect(who.name).toBe(DEMO_USER.name);
    const csrf = { 'x-csrf': '1' };
    const p = await f(`${dev.gatewayUrl}${cfg.api.protected}`, { headers: csrf });
    expect(p.status).toBe(200);
    const body = (await p.json()) as { message: string; sub: string };
    expect(body.message).toContain('Hello from the protected API');
    expect(body.sub).toBe(DEMO_USER.sub);
    const u = await f(`${dev.gatewayUrl}${cfg.api.userinfo}`, { headers: csrf });
    expect(((await u.json()) as { userinfo: { email: string } }).userinfo.email).toBe(DEMO_USER.email);
    // The proxy's rules hold for the demo too: no X-CSRF → 403, no session → 401.
    expect((await f(`${dev.gatewayUrl}${cfg.api.protected}`)).status).toBe(403);
    expect((await fetch(`${dev.gatewayUrl}${cfg.api.protected}`, { headers: csrf })).status).toBe(401);

    const out = await f(`${dev.gatewayUrl}/api/v1/logout`);
    expect(out.status).toBe(302);
    expect(new URL(out.headers.get('location')!).origin).toBe(dev.idp.issuer);
    expect((await f(`${dev.gatewayUrl}/api/v1/session`)).status).toBe(401);
  });

  test('the standalone SPA logs in through the fragment-mode gateway and comes back to its own origin', async () => {
    const spa = dev.spaUrl!;
    expect(dev.fragmentGatewayUrl).toBeDefined();
    expect(dev.fragmentGatewayUrl).not.toBe(dev.gatewayUrl);
    const cfg = (await (await fetch(`${spa}/spa-config.json`)).json()) as SpaClientConfig & { returnTo: string };
    expect(cfg).toEqual({ mode: 'fragment', gatewayUrl: dev.fragmentGatewayUrl!, returnTo: `${spa}/`, api: { protected: '/api/protected', userinfo: '/api/userinfo' } });

    const pending = await startGatewayLogin(dev.idp, cfg.gatewayUrl, { query: { return_to: cfg.returnTo } });
    const res = await finishGatewayLogin(pending);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toStartWith(`${spa}/#`);
    const token = fragmentOf(res).get('access_token')!;

    const p = await fetch(`${spa}/api/protected`, { headers: { authorization: `Bearer ${token}` } });
    expect(p.status).toBe(200);
    expect(((await p.json()) as { sub: string }).sub).toBe(DEMO_USER.sub);
    // One demo API for both modes: the session-mode gateway's copy takes the same token.
    const same = await fetch(`${dev.gatewayUrl}/api/protected`, { headers: { authorization: `Bearer ${token}` } });
    expect(same.status).toBe(200);
    const u = await fetch(`${spa}/api/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await u.json()) as { userinfo: { email: string } }).userinfo.email).toBe(DEMO_USER.email);
    const bad = await fetch(`${spa}/api/protected`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');

    const out = await fetch(
      `${cfg.gatewayUrl}/api/v1/logout?${new URLSearchParams({ id_token_hint: fragmentOf(res).get('id_token')!, post_logout_redirect_uri: cfg.returnTo })}`,
      { redirect: 'manual' },
    );
    expect(out.status).toBe(302);
    const end = new URL(out.headers.get('location')!);
    expect(end.origin).toBe(dev.idp.issuer);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${spa}/`);
  });

  test('the session-mode gateway does not send its logins to the standalone SPA', async () => {
    // The standalone SPA is the fragment gateway's: the session gateway keeps its logins at home.
    const res = await fetch(`${dev.gatewayUrl}/api/v1/login?${new URLSearchParams({ return_to: `${dev.spaUrl}/` })}`, { redirect: 'manual', headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
  });

  test('the banner names both SPAs, their modes and both gateway configurations', () => {
    const text = devBanner(dev, VERSION, dir);
    expect(text).toMatch(new RegExp(`SPA \\(session mode\\)\\s+${dev.gatewayUrl}/\n`));
    expect(text).toMatch(new RegExp(`SPA \\(fragment mode, own origin\\)\\s+${dev.spaUrl}/\n`));
    expect(text).toMatch(new RegExp(`Fragment-mode gateway\\s+${dev.fragmentGatewayUrl}\n`));
    expect(text).toContain(dev.files.fragmentEnv!);
    const env = readFileSync(dev.files.env, 'utf8');
    expect(env).toContain('ZITAUTH_LOGIN_MODE=session');
    expect(env).toMatch(/^ZITAUTH_UPSTREAMS=demo=http:\/\/127\.0\.0\.1:\d+\/api$/m);
    expect(env).not.toContain('COOKIE_SECRET');
    const fragmentEnv = readFileSync(dev.files.fragmentEnv!, 'utf8');
    expect(fragmentEnv).toContain(`SPA_ORIGIN=${dev.spaUrl}`);
    expect(fragmentEnv).not.toContain('ZITAUTH_LOGIN_MODE=session');
  });
});

describe('dev stack on a non-loopback address', () => {
  // 127.0.0.2 is loopback to the kernel but not to the session cookie's rule (localhost,
  // 127.0.0.1, [::1]): there the cookie would be Secure over plain http, so the stack runs one
  // fragment-mode gateway for both pages instead, as before session mode.
  let dev: DevStack;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zitauth-dev-'));
    dev = await startDev({ port: 0, idpPort: 0, spaPort: 0, fragmentPort: 0, host: '127.0.0.2', dir }, { ZITAUTH_LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    await dev?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one fragment-mode gateway serves both pages, and the banner says why', async () => {
    expect(dev.loginMode).toBe('fragment');
    expect(dev.fragmentGatewayUrl).toBeUndefined();
    expect(dev.files.fragmentEnv).toBeUndefined();
    const text = devBanner(dev, VERSION, dir);
    expect(text).toContain('Session mode needs https or a loopback address');
    expect(text).toMatch(new RegExp(`SPA \\(fragment mode\\)\\s+${dev.gatewayUrl}/\n`));
    expect(await (await fetch(`${dev.gatewayUrl}/spa-config.json`)).json()).toMatchObject({ mode: 'fragment', api: { protected: '/api/protected' } });
    const cfg = (await (await fetch(`${dev.spaUrl}/spa-config.json`)).json()) as { gatewayUrl: string; returnTo: string };
    expect(cfg.gatewayUrl).toBe(dev.gatewayUrl);
    const res = await finishGatewayLogin(await startGatewayLogin(dev.idp, dev.gatewayUrl, { query: { return_to: cfg.returnTo } }));
    expect(res.headers.get('location')).toStartWith(`${dev.spaUrl}/#`);
    expect(fragmentOf(res).get('access_token')!.length).toBeGreaterThan(20);
  });
});
