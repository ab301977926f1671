import { afterAll, describe, expect, test } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { IdpRejected, IdpTimeout, IdpUnavailable, NotConfigured, ZitAuthError } from '../../src/errors.ts';
import { signAssertion } from '../../src/m2m/assertion.ts';
import { TokenBroker, type TokenResponse } from '../../src/m2m/broker.ts';
import { loadApplicationKey, loadServiceUserKey, parseApplicationKey, parseServiceUserKey } from '../../src/m2m/keyfile.ts';
import { clock, T0 } from './_tokens-helpers.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const spki = publicKey.export({ type: 'spki', format: 'pem' }) as string;
const pemBody = pkcs1.split('\n')[1]!; // a line of key material that must never leak

const serviceFile = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'serviceaccount', keyId: 'kid-1', key: pkcs1, expirationDate: '2099-01-01T00:00:00Z', userId: 'user-42', ...over });
const appFile = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'application', keyId: 'kid-2', key: pkcs1, appId: 'app-1', clientId: 'client-9', ...over });

async function failure(p: Promise<unknown>): Promise<ZitAuthError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ZitAuthError);
    return err as ZitAuthError;
  }
  throw new Error('expected a rejection');
}

const dir = mkdtempSync(join(tmpdir(), 'zitauth-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('key files', () => {
  test('service-user key with PKCS#1 PEM', async () => {
    const key = await parseServiceUserKey(serviceFile());
    expect(key.keyId).toBe('kid-1');
    expect(key.userId).toBe('user-42');
    expect(key.privateKey.type).toBe('private');
    expect(key.expirationDate?.toISOString()).toBe('2099-01-01T00:00:00.000Z');
  });

  test('PKCS#8 PEM is accepted too; application key', async () => {
    expect((await parseServiceUserKey(serviceFile({ key: pkcs8 }))).privateKey.type).toBe('private');
    const app = await parseApplicationKey(appFile());
    expect(app).toMatchObject({ keyId: 'kid-2', clientId: 'client-9', appId: 'app-1' });
    expect(app.expirationDate).toBeUndefined();
  });

  test('loads from disk; errors name the file and field', async () => {
    const path = join(dir, 'sa.json');
    writeFileSync(path, serviceFile());
    expect((await loadServiceUserKey(path)).userId).toBe('user-42');
    const err = await failure(loadApplicationKey(path));
    expect(err).toBeInstanceOf(NotConfigured);
    expect(err.message).toContain(path);
    expect(err.message).toContain('"type"');
    expect((await failure(loadServiceUserKey(join(dir, 'missing.json')))).message).toContain('missing.json');
  });

  test('wrong type / missing fields / bad key are rejected without leaking key material', async () => {
    const cases: [Promise<unknown>, string][] = [
      [parseServiceUserKey(serviceFile({ type: 'application' })), '"type"'],
      [parseServiceUserKey(serviceFile({ type: pkcs1 })), '"type"'],
      [parseServiceUserKey(serviceFile({ userId: undefined })), '"userId"'],
      [parseServiceUserKey(serviceFile({ keyId: 7 })), '"keyId"'],
      [parseApplicationKey(appFile({ clientId: '' })), '"clientId"'],
      [parseServiceUserKey(serviceFile({ key: pkcs1.replace(pemBody, pemBody.slice(0, 20)) })), '"key"'],
      [parseServiceUserKey(serviceFile({ key: spki })), '"key"'],
      [parseServiceUserKey(serviceFile({ expirationDate: 'soon' })), '"expirationDate"'],
      [parseServiceUserKey(serviceFile().slice(0, 200)), 'JSON'],
      [parseServiceUserKey(`{"key": "${pemBody}" oops}`), 'JSON'],
    ];
    for (const [p, field] of cases) {
      const err = await failure(p);
      expect(err).toBeInstanceOf(NotConfigured);
      expect(err.message).toContain(field);
      const everything = `${err.message} ${err.detail ?? ''} ${String(err.cause ?? '')} ${err.stack ?? ''}`;
      expect(everything).not.toContain(pemBody);
      expect(everything).not.toContain(pemBody.slice(0, 20));
    }
  });
});

describe('signAssertion', () => {
  test('RS256, kid, iss = sub, exact aud, iat/exp, random jti; verifies with the public key', async () => {
    const key = await parseServiceUserKey(serviceFile());
    const c = clock();
    const input = { privateKey: key.privateKey, keyId: key.keyId, subject: key.userId, audience: 'http://localhost:8080', now: c.now };
    const jwt = await signAssertion(input);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', kid: 'kid-1' });
    const claims = decodeJwt(jwt);
    expect(claims).toMatchObject({ iss: 'user-42', sub: 'user-42', aud: 'http://localhost:8080', iat: T0 / 1000, exp: T0 / 1000 + 60 });
    expect(typeof claims.jti).toBe('string');
    expect(decodeJwt(await signAssertion(input)).jti).not.toBe(claims.jti);
    expect(decodeJwt(await signAssertion({ ...input, lifetimeSec: 5 })).exp).toBe(T0 / 1000 + 5);
    await jwtVerify(jwt, await importSPKI(spki, 'RS256'), { currentDate: new Date(T0), audience: 'http://localhost:8080' });
  });
});

describe('TokenBroker', () => {
  function setup(opts: { expiresIn?: number } = {}) {
    const c = clock();
    const state = { calls: 0, fail: undefined as unknown, gate: undefined as Promise<void> | undefined };
    const fetchToken = async (): Promise<TokenResponse> => {
      state.calls++;
      if (state.gate) await state.gate;
      if (state.fail !== undefined) throw state.fail;
      return { access_token: `at-${state.calls}`, token_type: 'Bearer', expires_in: opts.expiresIn ?? 3600 };
    };
    const broker = new TokenBroker({ fetchToken, refreshSkewSec: 60, retryAfterSec: 5, now: c.now });
    return { c, state, broker };
  }

  test('caches the token and reports the remaining lifetime', async () => {
    const { c, state, broker } = setup();
    expect(await broker.getToken()).toEqual({ access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 });
    c.advance(1000_000);
    expect(await broker.getToken()).toEqual({ access_token: 'at-1', token_type: 'Bearer', expires_in: 2600 });
    expect(state.calls).toBe(1);
    expect(broker.stats).toEqual({ fetches: 1, failures: 0 });
  });

  test('1,000 concurrent getToken calls → exactly one fetch', async () => {
    const { state, broker } = setup();
    let open!: () => void;
    state.gate = new Promise<void>((r) => (open = r));
    const all = Promise.all(Array.from({ length: 1000 }, () => broker.getToken()));
    open();
    const tokens = await all;
    expect(state.calls).toBe(1);
    expect(new Set(tokens.map((t) => t.access_token))).toEqual(new Set(['at-1']));
  });

  test('refresh ahead: inside the skew window the cached token is returned while one refresh runs', async () => {
    const { c, state, broker } = setup();
    await broker.getToken();
    c.advance((3600 - 30) * 1000);
    let open!: () => void;
    state.gate = new Promise<void>((r) => (open = r));
    const during = await Promise.all(Array.from({ length: 50 }, () => broker.getToken()));
    expect(during.every((t) => t.access_token === 'at-1' && t.expires_in === 30)).toBe(true);
    expect(state.calls).toBe(2);
    open();
    await Bun.sleep(0);
    expect((await broker.getToken()).access_token).toBe('at-2');
    expect(state.calls).toBe(2);
  });

  test('IdP outage with a valid cached token → keeps serving it', async () => {
    const { c, state, broker } = setup();
    await broker.getToken();
    state.fail = new IdpUnavailable('identity provider unreachable');
    c.advance((3600 - 30) * 1000);
    expect((await broker.getToken()).access_token).toBe('at-1');
    await Bun.sleep(0);
    expect(broker.stats.failures).toBe(1);
    // Backing off: no new attempt on every call.
    expect((await broker.getToken()).access_token).toBe('at-1');
    expect(state.calls).toBe(2);
  });

  test('no valid token + IdP down → 503 with retryAfter, and no fetch storm', async () => {
    const { c, state, broker } = setup();
    state.fail = new TypeError('fetch failed');
    const err = await failure(broker.getToken());
    expect(err).toBeInstanceOf(IdpUnavailable);
    expect(err.status).toBe(503);
    expect(err.retryAfter).toBe(5);
    expect(err.toBody().error).toBe('temporarily_unavailable');
    await failure(broker.getToken());
    expect(state.calls).toBe(1);
    c.advance(5_000);
    state.fail = undefined;
    expect((await broker.getToken()).access_token).toBe('at-2');
  });

  test('timeouts stay IdpTimeout but become 503', async () => {
    const { state, broker } = setup();
    state.fail = new IdpTimeout('identity provider did not answer in time');
    const err = await failure(broker.getToken());
    expect(err).toBeInstanceOf(IdpTimeout);
    expect(err.status).toBe(503);
    expect(err.retryAfter).toBe(5);
  });

  test('4xx ZitAuthErrors (IdpRejected) are rethrown as-is', async () => {
    const { state, broker } = setup();
    const rejected = new IdpRejected('invalid_grant', 'key rejected');
    state.fail = rejected;
    expect(await failure(broker.getToken())).toBe(rejected);
  });

  test('expired token with IdP down → error, not the stale token', async () => {
    const { c, state, broker } = setup();
    await broker.getToken();
    state.fail = new IdpUnavailable('down');
    c.advance(3600_000);
    expect((await failure(broker.getToken())).status).toBe(503);
  });

  test('invalid token response → 503', async () => {
    const broker = new TokenBroker({ fetchToken: async () => ({ access_token: '', token_type: 'Bearer', expires_in: 0 }), now: clock().now });
    expect((await failure(broker.getToken())).status).toBe(503);
  });
});
