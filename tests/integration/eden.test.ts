/**
 * The gateway through Eden Treaty, as a TypeScript service would call it: `treaty<App>(url)`
 * gives typed data for 200s and typed `{ status, value }` errors for the declared statuses — in
 * both configuration modes, with non-ASCII claims and role keys and hostile query values.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { treaty } from '@elysiajs/eden';
import type { App } from '../../src/app.ts';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { EMAIL, HOSTILE_CLAIMS, HOSTILE_VALUES, NAME, ROLE } from '../support/hostile.ts';

describe.each(CONFIG_MODES)('Eden Treaty client (%s endpoints)', (mode) => {
  let stack: Stack;
  let api: ReturnType<typeof treaty<App>>;
  beforeAll(async () => {
    stack = await startStack({ mode });
    api = treaty<App>(stack.url);
  });
  afterAll(() => stack.close());

  test('healthz: typed data', async () => {
    const { data, error, status } = await api.healthz.get();
    expect(error).toBeNull();
    expect(status).toBe(200);
    // Typed: `data.status` is the literal 'ok'.
    const s: 'ok' | undefined = data?.status;
    expect(s).toBe('ok');
    expect(typeof data?.version).toBe('string');
  });

  test('m2m-token then validate: typed token and claims', async () => {
    const m = await api.api.v1['m2m-token'].get();
    expect(m.error).toBeNull();
    const token: string = m.data!.access_token;
    expect(m.data!.expires_in).toBeGreaterThan(0);

    const v = await api.api.v1.validate.get({ headers: { authorization: `Bearer ${token}` } });
    expect(v.error).toBeNull();
    expect(v.data?.sub).toBe(stack.idp.serviceUserKey.userId);
    expect([v.data?.aud].flat()).toContain(stack.idp.projectId);
  });

  test('validate with requirements and errors: typed error values per status', async () => {
    const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
    const ok = await api.api.v1.validate.get({ headers: { authorization: `Bearer ${token}` }, query: { role: ['admin', ROLE] } });
    expect(ok.status).toBe(200);
    // Eden encodes the non-ASCII role key; the claims come back intact.
    // (Claims beyond the registered ones are not in the declared type: read them as a record.)
    const claims = ok.data as Record<string, unknown> | null;
    expect([claims?.name, claims?.email]).toEqual([NAME, EMAIL]);

    const forbidden = await api.api.v1.validate.get({ headers: { authorization: `Bearer ${token}` }, query: { role: ['nope'] } });
    expect(forbidden.data).toBeNull();
    expect(forbidden.error?.status).toBe(403);
    if (forbidden.error?.status === 403) expect(forbidden.error.value.error).toBe('insufficient_scope');

    // @ts-expect-error: the header is required in the type; at run time the gateway answers 400.
    const missing = await api.api.v1.validate.get({ headers: {} });
    expect(missing.error?.status).toBe(400);
    if (missing.error?.status === 400) expect(missing.error.value.error).toBe('invalid_request');

    const bad = await api.api.v1.validate.get({ headers: { authorization: 'Bearer garbage' } });
    expect(bad.error?.status).toBe(401);
    if (bad.error?.status === 401) {
      const e: string = bad.error.value.error_description;
      expect(bad.error.value.error).toBe('invalid_token');
      expect(e.length).toBeGreaterThan(0);
    }
  });

  test('hostile requirement values through Eden: a typed 403 whose value does not echo them', async () => {
    const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
    for (const value of HOSTILE_VALUES) {
      const r = await api.api.v1.validate.get({ headers: { authorization: `Bearer ${token}` }, query: { role: [value], aud: [value] } });
      expect(`${JSON.stringify(value)} ${r.error?.status}`).toBe(`${JSON.stringify(value)} 403`);
      if (r.error?.status === 403) {
        expect(r.error.value.error).toBe('insufficient_scope');
        expect(JSON.stringify(r.error.value)).not.toContain(JSON.stringify(value).slice(1, -1));
      }
    }
  });
});
