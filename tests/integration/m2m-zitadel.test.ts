/**
 * Regressions of issue 11 item 1, against a provider that answers like current Zitadel and like
 * older releases, in both configuration modes:
 * - the JWT-profile grant's client is the service user's *username*: with `openid` in the scope
 *   an id_token for aud ⊇ [username], azp = username comes back; /m2m-token used to answer 503
 *   (oauth4webapi checked it against client_id = userId);
 * - without the audience scope the token's aud is [username] — an original .env must still
 *   accept its own service user's token;
 * - Zitadel before v2.62 (client = userId) keeps working;
 * - a bad assertion (v2.71: 500 server_error; newer: 400 invalid_grant) ends as a clean 502 and a
 *   log line naming the key file.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { rsaKeyPair } from '../../src/devidp/keys.ts';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { bearerGet } from '../support/gateway-login.ts';

const ORIGINAL_ONLY = { ZITAUTH_PROJECT_ID: undefined, ZITAUTH_LOG_LEVEL: undefined, ZITAUTH_HTTP_TIMEOUT_MS: undefined };
const stacks: Stack[] = [];
afterAll(async () => {
  for (const s of stacks) await s.close();
});
const stackFor = async (...args: Parameters<typeof startStack>) => {
  const s = await startStack(...args);
  stacks.push(s);
  return s;
};

describe.each(CONFIG_MODES)('M2M against Zitadel as it behaves (%s endpoints)', (mode) => {
  test.each([
    ['current Zitadel (client = username)', 'username'],
    ['Zitadel before v2.62 (client = userId)', 'userId'],
  ] as const)('%s: /m2m-token 200, with and without openid; the token validates', async (_name, client) => {
    const stack = await stackFor({ mode, idp: { jwtProfileClient: client, serviceUserName: 'zitauth-m2m-機械' } });
    for (const scopes of [undefined, `openid urn:zitadel:iam:org:project:id:${stack.idp.projectId}:aud`]) {
      const g = await stack.gateway(scopes ? { ZITAUTH_M2M_SCOPES: scopes } : {});
      try {
        const res = await fetch(`${g.url}/api/v1/m2m-token`);
        expect(`${scopes} ${res.status}`).toBe(`${scopes} 200`);
        const { access_token } = (await res.json()) as { access_token: string };
        const claims = decodeJwt(access_token);
        expect(claims.client_id).toBe(client === 'username' ? 'zitauth-m2m-機械' : stack.idp.serviceUserKey.userId);
        expect([claims.aud].flat()).toContain(stack.idp.projectId);
        // Roles come only with the roles scope (the default scopes ask for it; the explicit ones do not).
        const v = await bearerGet(`${g.url}/api/v1/validate${scopes ? '' : '?role=m2m'}`, access_token);
        expect(v.status).toBe(200);
      } finally {
        await g.stop();
      }
    }
  });

  test.each(['username', 'userId'] as const)('regression: an original .env accepts its own service user’s token (client = %s, aud = [client])', async (client) => {
    const stack = await stackFor({ mode, env: ORIGINAL_ONLY, idp: { jwtProfileClient: client } });
    const res = await fetch(`${stack.url}/api/v1/m2m-token`);
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const aud = [decodeJwt(access_token).aud].flat();
    expect(aud).toEqual([client === 'username' ? stack.idp.serviceUser.username : stack.idp.serviceUserKey.userId]);
    expect((await bearerGet(`${stack.url}/api/v1/validate`, access_token)).status).toBe(200);
    // …and a foreign service user's token for the same kind of audience is not.
    const foreign = await stack.idp.mintAccessToken({ claims: { sub: '999999999999999999', client_id: 'someone-else', aud: ['someone-else'] } });
    expect((await bearerGet(`${stack.url}/api/v1/validate`, foreign)).status).toBe(401);
  });

  test.each([
    ['v2.71 (500 server_error)', 'v2.71'],
    ['current (400 invalid_grant)', 'current'],
  ] as const)('regression: a bad assertion, %s → 502 and a log line naming the key file', async (_name, errors) => {
    const stack = await stackFor({ mode, idp: { jwtProfileErrors: errors } });
    // The right key id with another private key: the IdP refuses the signature.
    const forged = join(stack.dir, 'forged-ü.json');
    writeFileSync(forged, JSON.stringify({ ...stack.idp.serviceUserKey, key: (await rsaKeyPair()).pkcs1Pem }));
    const from = stack.logs.length;
    const g = await stack.gateway({ SERVICE_ACCOUNT_FILE: forged });
    try {
      const res = await fetch(`${g.url}/api/v1/m2m-token`);
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: string; error_description: string };
      expect(body).toEqual({ error: 'server_error', error_description: "The identity provider refused the gateway's service-user credentials." });
      expect(stack.idp.counts['token:urn:ietf:params:oauth:grant-type:jwt-bearer']).toBeGreaterThan(0);
      const line = stack.logs.slice(from).find((l) => l.includes('M2M token refused'));
      expect(line).toContain('"level":"error"');
      expect(line).toContain('SERVICE_ACCOUNT_FILE');
      expect(line).toContain(forged);
      // Within the back-off the same answer, without asking the IdP again.
      const calls = stack.idp.counts['token:urn:ietf:params:oauth:grant-type:jwt-bearer'];
      expect((await fetch(`${g.url}/api/v1/m2m-token`)).status).toBe(502);
      expect(stack.idp.counts['token:urn:ietf:params:oauth:grant-type:jwt-bearer']).toBe(calls);
    } finally {
      await g.stop();
    }
  });
});
