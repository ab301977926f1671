/**
 * Operations endpoints against the real stack, in both configuration modes: liveness, readiness
 * through an IdP outage, and /metrics parsed as Prometheus text after real traffic — hostile
 * traffic included (non-ASCII claims and role keys, unicode/CR-LF/quote paths and values), which
 * must neither break the exposition nor show up in it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_MODES, startStack, type Stack } from '../support/stack.ts';
import { asHeader, asHeaderValue, HOSTILE_CLAIMS, HOSTILE_VALUES, NAME, ROLE } from '../support/hostile.ts';
import { parsePrometheus, select, total, type Exposition } from './prometheus.ts';

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

test('the parser rejects malformed exposition text', () => {
  expect(() => parsePrometheus('foo{a="1" 1')).toThrow();
  expect(() => parsePrometheus('foo abc')).toThrow();
  expect(parsePrometheus('a_b{x="q\\"uote",y="n\\\\l"} 2\n').samples[0]!.labels).toEqual({ x: 'q"uote', y: 'n\\l' });
});

describe.each(CONFIG_MODES)('operations endpoints (%s endpoints)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode });
  });
  afterAll(async () => {
    await stack?.idp.setFault(null);
    await stack?.close();
  });

  const scrape = async (base = stack.url): Promise<Exposition> => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return parsePrometheus(await res.text());
  };

  describe('/healthz', () => {
    test('200 with status ok and the version', async () => {
      const res = await fetch(`${stack.url}/healthz`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; version: string };
      expect(body.status).toBe('ok');
      expect(body.version).toMatch(/\d+\.\d+/);
    });

    test('stays 200 while the IdP is down (liveness must not depend on it)', async () => {
      await stack.idp.setFault('refuse');
      try {
        expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
      } finally {
        await stack.idp.setFault(null);
      }
    });
  });

  describe('/readyz', () => {
    test('200 with every check true when the IdP is up', async () => {
      const res = await fetch(`${stack.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', checks: { discovery: true, jwks: true, store: true } });
    });

    test('503 with failing checks when the gateway starts during an IdP outage; 200 after recovery', async () => {
      let skew = 0;
      await stack.idp.setFault('refuse');
      // The clock is moved past the discovery retry delay instead of sleeping through it.
      const g = await stack.gateway({}, { now: () => Date.now() + skew });
      try {
        const down = await fetch(`${g.url}/readyz`);
        expect(down.status).toBe(503);
        // With explicit URLs the endpoints are known without the IdP; only the key set is missing.
        expect(await down.json()).toEqual({ status: 'not_ready', checks: { discovery: mode === 'explicit', jwks: false, store: true } });
        // liveness is unaffected
        expect((await fetch(`${g.url}/healthz`)).status).toBe(200);

        await stack.idp.setFault(null);
        skew += 6_000;
        const up = await fetch(`${g.url}/readyz`);
        expect(up.status).toBe(200);
        expect(await up.json()).toEqual({ status: 'ready', checks: { discovery: true, jwks: true, store: true } });
      } finally {
        await stack.idp.setFault(null);
        await g.stop();
      }
    });
  });

  describe('/metrics', () => {
    test('is valid exposition text with a TYPE for every family', async () => {
      const m = await scrape();
      expect(m.samples.length).toBeGreaterThan(0);
      for (const s of m.samples) {
        const family = s.name.replace(/_(bucket|sum|count)$/, '');
        expect(m.types.has(s.name) || m.types.get(family) === 'histogram').toBe(true);
      }
      expect(m.types.get('zitauth_http_requests_total')).toBe('counter');
      expect(m.types.get('zitauth_http_request_duration_seconds')).toBe('histogram');
    });

    test('after traffic: requests by route+status, latency histograms, cache, IdP calls, JWKS refreshes', async () => {
      const before = await scrape();
      const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
      const validate = `${stack.url}/api/v1/validate`;
      expect((await fetch(validate, bearer(token))).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await fetch(validate, bearer(token))).status).toBe(200);
      expect((await fetch(validate, bearer('garbage.token.here'))).status).toBe(401);
      expect((await fetch(validate)).status).toBe(400);
      expect((await fetch(`${stack.url}/api/v1/forward-auth?role=nope`, bearer(token))).status).toBe(403);
      expect((await fetch(`${stack.url}/api/v1/forward-auth?role=${encodeURIComponent(ROLE)}`, bearer(token))).status).toBe(200);
      expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
      const after = await scrape();

      const delta = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
      // request counter by route and status
      expect(delta('zitauth_http_requests_total', { route: '/api/v1/validate', status: '200' })).toBe(5);
      expect(delta('zitauth_http_requests_total', { route: '/api/v1/validate', status: '401' })).toBe(1);
      expect(delta('zitauth_http_requests_total', { route: '/api/v1/validate', status: '400' })).toBe(1);
      expect(delta('zitauth_http_requests_total', { route: '/api/v1/forward-auth', status: '403' })).toBe(1);
      expect(delta('zitauth_http_requests_total', { route: '/api/v1/forward-auth', status: '200' })).toBe(1);
      expect(delta('zitauth_http_requests_total', { route: '/healthz', status: '200' })).toBeGreaterThanOrEqual(1);

      // latency histograms: buckets cumulative (monotonic in le), +Inf equals _count, per series
      const buckets = select(after, 'zitauth_http_request_duration_seconds_bucket');
      const series = new Map<string, { le: number; v: number }[]>();
      for (const b of buckets) {
        const { le, ...rest } = b.labels;
        expect(le).toBeDefined();
        const key = JSON.stringify(rest);
        series.set(key, [...(series.get(key) ?? []), { le: le === '+Inf' ? Infinity : Number(le), v: b.value }]);
      }
      expect([...series.keys()].some((k) => JSON.parse(k).route === '/api/v1/validate')).toBe(true);
      for (const [key, bs] of series) {
        const sorted = [...bs].sort((a, b) => a.le - b.le);
        for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.v).toBeGreaterThanOrEqual(sorted[i - 1]!.v);
        expect(sorted.at(-1)!.le).toBe(Infinity);
        const count = select(after, 'zitauth_http_request_duration_seconds_count', JSON.parse(key));
        expect(count).toHaveLength(1);
        expect(sorted.at(-1)!.v).toBe(count[0]!.value);
        const sum = select(after, 'zitauth_http_request_duration_seconds_sum', JSON.parse(key));
        expect(sum).toHaveLength(1);
        expect(sum[0]!.value).toBeGreaterThanOrEqual(0);
      }
      const validateCount = select(after, 'zitauth_http_request_duration_seconds_count', { route: '/api/v1/validate' })[0]!.value;
      const validateCountBefore = select(before, 'zitauth_http_request_duration_seconds_count', { route: '/api/v1/validate' })[0]?.value ?? 0;
      expect(validateCount - validateCountBefore).toBe(7);

      // the repeated token is answered from the cache
      expect(delta('zitauth_validate_cache_hits_total')).toBeGreaterThanOrEqual(4);
      expect(total(after, 'zitauth_validate_cache_misses_total')).toBeGreaterThanOrEqual(1);
      expect(total(after, 'zitauth_validate_cache_entries')).toBeGreaterThanOrEqual(1);

      // IdP calls by endpoint (JWKS, and discovery unless the original .env's URLs made it
      // unnecessary), each with a latency histogram
      if (mode === 'explicit') expect(total(after, 'zitauth_idp_requests_total', { endpoint: 'discovery' })).toBe(0);
      else expect(total(after, 'zitauth_idp_requests_total', { endpoint: 'discovery', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(total(after, 'zitauth_idp_requests_total', { endpoint: 'jwks', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(select(after, 'zitauth_idp_request_duration_seconds_count', { endpoint: 'jwks' })).toHaveLength(1);
      // JWKS refreshes
      expect(total(after, 'zitauth_jwks_refreshes_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    });

    test('IdP failures are counted as errors', async () => {
      let skew = 0;
      await stack.idp.setFault('refuse');
      const g = await stack.gateway({}, { now: () => Date.now() + skew });
      try {
        await fetch(`${g.url}/readyz`);
        const m = await scrape(g.url);
        // The first IdP call readiness makes: discovery, or with explicit URLs the key set.
        expect(total(m, 'zitauth_idp_requests_total', { endpoint: mode === 'explicit' ? 'jwks' : 'discovery', outcome: 'error' })).toBeGreaterThanOrEqual(1);
        expect(total(m, 'zitauth_http_requests_total', { route: '/readyz', status: '503' })).toBe(1);
      } finally {
        await stack.idp.setFault(null);
        await g.stop();
      }
    });

    test('unknown paths do not create one series per path (bounded cardinality)', async () => {
      for (let i = 0; i < 5; i++) await fetch(`${stack.url}/no/such/path/${crypto.randomUUID()}`);
      const m = await scrape();
      const routes = new Set(select(m, 'zitauth_http_requests_total').map((s) => s.labels.route));
      for (const r of routes) expect(r).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
    });

    test('hostile paths, query values and headers: no 5xx, the exposition stays valid and never shows them', async () => {
      const token = await stack.idp.mintAccessToken({ claims: HOSTILE_CLAIMS });
      for (const value of HOSTILE_VALUES) {
        const q = encodeURIComponent(value);
        for (const url of [`${stack.url}/${q}`, `${stack.url}/api/v1/${q}`, `${stack.url}/api/v1/validate?role=${q}`, `${stack.url}/metrics?x=${q}`]) {
          const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'x-request-id': asHeaderValue(value), 'user-agent': asHeaderValue(value) } });
          expect(`${url} ${res.status < 500}`).toBe(`${url} true`);
        }
      }
      const res = await fetch(`${stack.url}/metrics`);
      const text = await res.text();
      const m = parsePrometheus(text);
      expect(total(m, 'zitauth_http_requests_total', { route: '/api/v1/validate', status: '403' })).toBeGreaterThanOrEqual(HOSTILE_VALUES.length);
      for (const value of [...HOSTILE_VALUES, NAME, ROLE]) {
        for (const form of [value, encodeURIComponent(value), asHeader(value)]) expect(text.includes(form) ? `${JSON.stringify(form)} in /metrics` : 'absent').toBe('absent');
      }
    });
  });
});
