/** StateCookies: sealed login state in a cookie — attributes, round trip, every refusal. */
import { describe, expect, test } from 'bun:test';
import { COOKIE_PREFIX, StateCookies, readCookie } from '../../src/login/state-cookie.ts';
import { InvalidState } from '../../src/errors.ts';

const SECRET = 'unit-test-cookie-secret-0123456789-abcdef';
const state = 'state-abcdefghijklmnopqrstuvwxyz0123456789';
const login = { state, codeVerifier: 'v'.repeat(43), nonce: 'nonce-1', returnTo: 'http://127.0.0.1:3001/' };
let clock = 1_800_000_000_000;
const make = (o: { secret?: string; ttlSec?: number; secure?: boolean } = {}) =>
  new StateCookies(o.secret ?? SECRET, { ttlSec: o.ttlSec ?? 600, secure: o.secure ?? false, path: '/api/v1/callback', now: () => clock });
const pair = (setCookie: string) => setCookie.split(';')[0]!;

async function refused(p: Promise<unknown>, text?: RegExp) {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidState);
  expect((err as InvalidState).status).toBe(400);
  if (text) expect((err as Error).message).toMatch(text);
}

describe('StateCookies', () => {
  test('Set-Cookie: named per state, HttpOnly, SameSite=Lax, callback path, Max-Age = TTL; Secure only for https', async () => {
    const c = make();
    const sc = await c.seal(login);
    const attrs = sc.split('; ');
    expect(attrs[0]!.startsWith(`${c.cookieName(state)}=`)).toBe(true);
    expect(c.cookieName(state).startsWith(COOKIE_PREFIX)).toBe(true);
    expect(c.cookieName(state)).not.toBe(c.cookieName(`${state}x`));
    expect(attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/api/v1/callback', 'Max-Age=600']));
    expect(attrs).not.toContain('Secure');
    expect((await make({ secure: true }).seal(login)).split('; ')).toContain('Secure');
    expect(c.clear(state)).toBe(`${c.cookieName(state)}=; Path=/api/v1/callback; Max-Age=0; HttpOnly; SameSite=Lax`);
  });

  test('the value is encrypted: neither the verifier nor the nonce nor the state is readable', async () => {
    const sc = await make().seal(login);
    for (const secret of [login.codeVerifier, login.nonce, state, 'returnTo']) expect(sc).not.toContain(secret);
    expect(Buffer.from(pair(sc).split('=')[1]!.split('.')[3] ?? '', 'base64url').toString()).not.toContain(login.codeVerifier);
  });

  test('round trip, among other cookies', async () => {
    const c = make();
    const header = `other=1; ${pair(await c.seal(login))}; last=2`;
    expect(await c.open(header, state)).toEqual(login);
  });

  test('missing cookie', async () => {
    await refused(make().open(null, state), /No login is in progress/);
    await refused(make().open('other=1', state), /No login is in progress/);
  });

  test('another secret (another deployment) cannot open it', async () => {
    const sc = await make().seal(login);
    await refused(make({ secret: 'a-different-secret-0123456789-abcdefgh' }).open(pair(sc), state), /invalid/);
  });

  test('tampered value', async () => {
    const [name, value] = pair(await make().seal(login)).split('=') as [string, string];
    const parts = value.split('.');
    parts[3] = (parts[3]![0] === 'A' ? 'B' : 'A') + parts[3]!.slice(1);
    await refused(make().open(`${name}=${parts.join('.')}`, state), /invalid/);
  });

  test('expired after the TTL', async () => {
    const c = make({ ttlSec: 30 });
    const sc = await c.seal(login);
    clock += 31_000;
    await refused(c.open(pair(sc), state), /expired/);
  });

  test('a cookie sealed for another state, presented under this state’s name', async () => {
    const c = make();
    const other = await c.seal({ ...login, state: 'another-state-0123456789' });
    const value = pair(other).split('=')[1];
    await refused(c.open(`${c.cookieName(state)}=${value}`, state), /does not match/);
  });

  test('readCookie picks the exact name', () => {
    expect(readCookie('a=1; ab=2; b=3', 'ab')).toBe('2');
    expect(readCookie('a=1', 'b')).toBeUndefined();
    expect(readCookie(undefined, 'a')).toBeUndefined();
  });
});
