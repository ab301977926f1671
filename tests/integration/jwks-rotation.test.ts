/**
 * Signing-key rotation seen through the gateway: a token with a new kid validates after exactly
 * one JWKS refetch (once the refetch cooldown allows it), and a key removed from the JWKS stops
 * validating, even for tokens the gateway had cached. The JWKS cooldown (30 s) is not
 * configurable, so the gateway runs on an injected clock the test moves forward.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { startStack, type Stack } from '../support/stack.ts';
import { bearerGet, bodyOf } from '../support/gateway-login.ts';

let stack: Stack;
let gw: Awaited<ReturnType<Stack['gateway']>>;
let skewMs = 0;
const keysFetched = () => stack.idp.counts['/oauth/v2/keys'] ?? 0;

beforeAll(async () => {
  stack = await startStack();
  gw = await stack.gateway({}, { now: () => Date.now() + skewMs });
});
afterAll(() => stack.close());

test('rotation: new kid validates after one refetch; removed kid is rejected after a refresh', async () => {
  const V = `${gw.url}/api/v1/validate`;
  const oldKid = stack.idp.activeKid();
  const oldToken = await stack.idp.mintAccessToken();
  stack.idp.resetCounts();

  expect((await bearerGet(V, oldToken)).status).toBe(200);
  expect(keysFetched()).toBe(1);

  const newKid = await stack.idp.rotateSigningKey();
  expect(newKid).not.toBe(oldKid);
  const newToken = await stack.idp.mintAccessToken();

  // Inside the cooldown after the first fetch: the unknown kid is refused, without a refetch…
  const early = await bearerGet(V, newToken);
  expect(early.status).toBe(401);
  expect((await bodyOf(early)).json.error_description).toBe('unknown signing key');
  expect(keysFetched()).toBe(1);

  // …and that refusal is not remembered: after the cooldown one refetch makes it valid.
  skewMs += 31_000;
  expect((await bearerGet(V, newToken)).status).toBe(200);
  expect(keysFetched()).toBe(2);
  // Old-kid tokens still validate (the JWKS lists both keys), and repeated calls fetch nothing.
  expect((await bearerGet(V, oldToken)).status).toBe(200);
  expect((await bearerGet(V, newToken)).status).toBe(200);
  expect(keysFetched()).toBe(2);

  // Retire the old key. Once the set is stale (> 300 s), readiness refreshes it.
  stack.idp.removeKey(oldKid);
  skewMs += 301_000;
  const ready = await fetch(`${gw.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(keysFetched()).toBe(3);
  // The cached result for the old token is dropped with its key.
  const res = await bearerGet(V, oldToken);
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  expect((await bearerGet(V, newToken)).status).toBe(200);
});

test('a flood of unknown kids costs at most one JWKS fetch per cooldown', async () => {
  stack.idp.resetCounts();
  skewMs += 31_000;
  const V = `${gw.url}/api/v1/validate`;
  const junk = await Promise.all(Array.from({ length: 20 }, (_, i) => stack.idp.mintAccessToken({ kid: `junk-${i}` })));
  const statuses = await Promise.all(junk.map((t) => bearerGet(V, t).then((r) => r.status)));
  expect(new Set(statuses)).toEqual(new Set([401]));
  expect(keysFetched()).toBeLessThanOrEqual(1);
});
