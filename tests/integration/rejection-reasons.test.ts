/**
 * Rejections as data through HTTP: /metrics counts zitauth_validate_rejections_total{reason} and
 * the debug line names the reason, on both token routes and in both configuration modes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { bearerGet } from '../support/gateway-login.ts';

describe.each(CONFIG_MODES)('rejection reasons (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode });
  });
  afterAll(() => stack.close());

  const count = async (reason: string) => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    return Number(text.match(new RegExp(`zitauth_validate_rejections_total\\{reason="${reason}"\\} (\\d+)`))?.[1] ?? 0);
  };

  test('each kind of bad token is counted under its reason and named in the debug line', async () => {
    const idp = stack.idp;
    const cases: [string, string][] = [
      ['expired', await idp.mintAccessToken({ expiresInSec: -600, claims: { name: '山田太郎' } })],
      ['audience', await idp.mintAccessToken({ claims: { aud: ['someone-else-ü'] } })],
      ['issuer', await idp.mintAccessToken({ claims: { iss: 'https://evil.example' } })],
      ['malformed', `${Buffer.from('not json ✗').toString('base64url')}.e30.c2ln`],
      ['algorithm', 'e30.e30.e30'],
      ['opaque_unsupported', 'an-opaque~token/without+introspection'],
      ['bad_signature', (await idp.mintAccessToken()).slice(0, -4) + 'AAAA'],
      ['type', await idp.mintAccessToken({ header: { typ: 'logout+jwt' } })],
      // Regression: an ID token (same issuer, audience and typ JWT as Zitadel's access tokens) is
      // not accepted as an access token — it carries nonce / at_hash, which access tokens never do.
      ['type', await idp.mintAccessToken({ claims: { nonce: 'n-ü', at_hash: 'abc', azp: idp.clientId } })],
    ];
    for (const [reason, token] of cases) {
      for (const path of ['/api/v1/validate', '/api/v1/forward-auth']) {
        const before = await count(reason);
        const from = stack.logs.length;
        const res = await bearerGet(`${stack.url}${path}`, token);
        expect(`${reason} ${path} ${res.status}`).toBe(`${reason} ${path} 401`);
        // The negative cache answers a repeat: still a rejection, still counted.
        expect(`${reason} ${path} ${await count(reason)}`).toBe(`${reason} ${path} ${before + 1}`);
        await Bun.sleep(5);
        const line = stack.logs.slice(from).find((l) => l.includes('"msg":"request rejected"'));
        expect(line).toContain(`"reason":"${reason}"`);
      }
    }
  });
});
