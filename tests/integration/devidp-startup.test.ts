/**
 * Starting the dev IdP (and signing in once, which checks its signed cookies) prints nothing about
 * the runtime: oidc-provider's "Unsupported runtime. Use Node.js v22.x LTS" and Bun's DEP0115
 * notice for `crypto.pseudoRandomBytes` (via keygrip → tsscmp) used to reach every `zitauth dev`.
 * A fresh process is needed: both are printed once per process.
 */
import { describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '../..');

const SCRIPT = `
import { startDevIdp, DEMO_USER } from ${JSON.stringify(`${ROOT}/src/devidp/index.ts`)};
import { loginWithFetch } from ${JSON.stringify(`${ROOT}/tests/support/login.ts`)};
import { authorizeUrl, pkce } from ${JSON.stringify(`${ROOT}/tests/support/oidc.ts`)};
const redirectUri = 'http://127.0.0.1:1/callback';
const idp = await startDevIdp({ redirectUris: [redirectUri], log: (l) => console.log(l) });
const p = pkce();
// Two sign-ins on one cookie jar: the second one reads the session cookie back (signature check).
const { CookieJar } = await import(${JSON.stringify(`${ROOT}/tests/support/cookie-fetch.ts`)});
const jar = new CookieJar();
for (const state of ['first', 'second']) {
  const to = await loginWithFetch(idp, authorizeUrl(idp, { redirectUri, challenge: p.challenge, state }), DEMO_USER, { jar });
  if (!new URL(to).searchParams.get('code')) throw new Error('no code');
}
await idp.close();
console.log('DONE');
`;

describe('dev IdP startup output', () => {
  test('no "Unsupported runtime" warning and no DEP0115 notice', async () => {
    const proc = Bun.spawn([process.execPath, '-e', SCRIPT], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code, err).toBe(0);
    expect(out).toContain('DONE');
    expect(out).toContain('devidp: login');
    const all = `${out}\n${err}`;
    expect(all).not.toContain('Unsupported runtime');
    expect(all).not.toContain('oidc-provider WARNING');
    expect(all).not.toContain('DEP0115');
    expect(all).not.toContain('pseudoRandomBytes');
  });
});
