/**
 * forward() with an injected fetch: what it hands to fetch (streamed body, no redirects, no
 * decompression, a signal) and how each kind of failure becomes the gateway's error. The real
 * sockets are in tests/integration/proxy-forward.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import { InvalidRequest, ZitAuthError } from '../../src/errors.ts';
import { ClientClosedRequest, UpstreamTimeout, UpstreamUnavailable } from '../../src/proxy/errors.ts';
import { forward, type ForwardOptions } from '../../src/proxy/forward.ts';

const target = new URL('http://orders.internal:8080/api/%E5%95%86%E5%93%81?token=secret-query');
const isGatewayCookie = (n: string) => n === '__Host-zitauth_session';

type Call = { input: unknown; init: RequestInit & { duplex?: string; decompress?: boolean } };
function fakeFetch(answer: (call: Call) => Promise<Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const f = (input: unknown, init: Call['init']) => {
    const call = { input, init };
    calls.push(call);
    return answer(call);
  };
  return { fetch: f as unknown as typeof fetch, calls };
}
const opts = (f: typeof fetch, more: Partial<ForwardOptions> = {}): ForwardOptions => ({ timeoutMs: 10_000, isGatewayCookie, fetch: f, ...more });

/** Resolves never, rejects with the signal's reason when it aborts — a hung upstream. */
const hang = (call: Call) =>
  new Promise<Response>((_, reject) => call.init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

describe('what fetch is given', () => {
  test('method, the headers, the request body as a stream, manual redirects, no decompression, a signal', async () => {
    let received = '';
    const { fetch, calls } = fakeFetch(async (call) => {
      received = await new Response(call.init.body).text();
      return new Response('ok');
    });
    const req = new Request('http://gw.test/api/v1/proxy/orders/x', { method: 'PATCH', body: '{"name":"山田太郎"}' });
    const headers = new Headers({ 'content-type': 'application/json', 'content-length': '22' });
    const res = await forward(req, target, headers, opts(fetch));
    expect(await res.text()).toBe('ok');
    const { input, init } = calls[0]!;
    expect(input).toBe(target);
    expect(init.method).toBe('PATCH');
    expect(init.headers).toBe(headers);
    expect(init.body).toBeInstanceOf(ReadableStream);
    expect(received).toBe('{"name":"山田太郎"}');
    expect(req.bodyUsed).toBe(true);
    expect(init.duplex).toBe('half');
    expect(init.redirect).toBe('manual');
    expect(init.decompress).toBe(false);
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  test('GET and HEAD: no body and no Content-Length, without touching the caller’s headers', async () => {
    for (const method of ['GET', 'HEAD']) {
      const { fetch, calls } = fakeFetch(async () => new Response(null));
      const headers = new Headers({ 'content-length': '5', 'transfer-encoding': 'chunked', accept: '*/*' });
      await forward(new Request('http://gw.test/x', { method }), target, headers, opts(fetch));
      const sent = calls[0]!.init.headers as Headers;
      expect(calls[0]!.init.body).toBeNull();
      expect(sent.get('content-length')).toBeNull();
      expect(sent.get('transfer-encoding')).toBeNull();
      expect(sent.get('accept')).toBe('*/*');
      expect(headers.get('content-length')).toBe('5');
    }
  });

  test.each(['TRACE', 'CONNECT', 'trace'])('%s is refused before any fetch', async (method) => {
    const { fetch, calls } = fakeFetch(async () => new Response('echo'));
    const req = new Request('http://gw.test/x', { method });
    await expect(forward(req, target, new Headers(), opts(fetch))).rejects.toBeInstanceOf(InvalidRequest);
    expect(calls).toHaveLength(0);
  });
});

describe('what comes back', () => {
  test('any upstream status is returned, 5xx included; headers filtered; body untouched', async () => {
    const h = new Headers({ 'content-type': 'application/json', connection: 'close' });
    h.append('set-cookie', '__Host-zitauth_session=x');
    h.append('set-cookie', 'a=1');
    const { fetch } = fakeFetch(async () => new Response('{"error":"在庫なし"}', { status: 500, statusText: 'Oops', headers: h }));
    const res = await forward(new Request('http://gw.test/x'), target, new Headers(), opts(fetch));
    expect(res.status).toBe(500);
    expect(res.statusText).toBe('Oops');
    expect(res.headers.get('connection')).toBeNull();
    expect(res.headers.getSetCookie()).toEqual(['a=1']);
    expect(await res.text()).toBe('{"error":"在庫なし"}');
  });
});

describe('failures', () => {
  test('connection refused → UpstreamUnavailable 502; the log detail names the origin, never the path or query', async () => {
    const err = Object.assign(new TypeError(`ECONNREFUSED: Unable to connect to ${target.href}`), { code: 'ECONNREFUSED', path: target.href });
    const { fetch } = fakeFetch(() => Promise.reject(err));
    const e = await forward(new Request('http://gw.test/x'), target, new Headers(), opts(fetch)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UpstreamUnavailable);
    const z = e as ZitAuthError;
    expect([z.status, z.error, z.code, z.message]).toEqual([502, 'server_error', 'UPSTREAM_UNAVAILABLE', 'The upstream service is unreachable.']);
    expect(z.detail).toContain('http://orders.internal:8080');
    expect(z.detail).toContain('ECONNREFUSED');
    expect(z.detail).not.toContain('secret-query');
    expect(z.detail).not.toContain('%E5%95%86');
  });

  test('no response headers within timeoutMs → UpstreamTimeout 504, and fetch’s signal aborted', async () => {
    const { fetch, calls } = fakeFetch(hang);
    const e = await forward(new Request('http://gw.test/x'), target, new Headers(), opts(fetch, { timeoutMs: 50 })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UpstreamTimeout);
    expect((e as ZitAuthError).status).toBe(504);
    expect(calls[0]!.init.signal!.aborted).toBe(true);
  });

  /** A request whose body sends `n` chunks `gapMs` apart, then (unless `stall`) ends. */
  function trickle(n: number, gapMs: number, stall = false): Request {
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (i > 0) await Bun.sleep(gapMs);
        if (i === n) {
          if (stall) await new Promise(() => {});
          c.close();
          return;
        }
        c.enqueue(new TextEncoder().encode(`${i++}:管理者;`));
      },
    });
    return new Request('http://gw.test/x', { method: 'PUT', body, duplex: 'half' } as RequestInit);
  }
  /** An upstream that reads the whole body, then answers (or, with `hangAfter`, never does); like fetch, it gives up when the signal aborts. */
  const reading = (hangAfter = false) =>
    fakeFetch(async (call) => {
      const text = await Promise.race([new Response(call.init.body).text(), hang(call)]);
      if (hangAfter) return hang(call);
      return new Response(text as string);
    });

  test('an upload that keeps moving is not cut, however long it takes in all', async () => {
    const { fetch } = reading();
    // 12 chunks 25 ms apart: about twice the timeout in all, each gap a sixth of it.
    const res = await forward(trickle(12, 25), target, new Headers(), opts(fetch, { timeoutMs: 150 }));
    expect(await res.text()).toBe(Array.from({ length: 12 }, (_, i) => `${i}:管理者;`).join(''));
  });

  test('an upload that stalls for timeoutMs → UpstreamTimeout 504', async () => {
    const { fetch, calls } = reading();
    const e = await forward(trickle(2, 5, true), target, new Headers(), opts(fetch, { timeoutMs: 80 })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UpstreamTimeout);
    expect(calls[0]!.init.signal!.aborted).toBe(true);
  });

  test('after the last body byte, the upstream has timeoutMs for its headers → else 504', async () => {
    const { fetch } = reading(true);
    const e = await forward(trickle(3, 5), target, new Headers(), opts(fetch, { timeoutMs: 80 })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UpstreamTimeout);
  });

  test('the browser’s request signal aborting → ClientClosedRequest 499', async () => {
    const ac = new AbortController();
    const { fetch, calls } = fakeFetch((call) => {
      queueMicrotask(() => ac.abort());
      return hang(call);
    });
    const e = await forward(new Request('http://gw.test/x', { signal: ac.signal }), target, new Headers(), opts(fetch)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ClientClosedRequest);
    expect((e as ZitAuthError).status).toBe(499);
    expect(calls[0]!.init.signal!.aborted).toBe(true);
  });

  test('the caller’s signal (shutdown) aborting → ClientClosedRequest 499', async () => {
    const ac = new AbortController();
    const { fetch } = fakeFetch((call) => {
      queueMicrotask(() => ac.abort());
      return hang(call);
    });
    const e = await forward(new Request('http://gw.test/x'), target, new Headers(), opts(fetch, { signal: ac.signal })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ClientClosedRequest);
  });

  test('the timer does not outlive the headers: a slow body after quick headers is not cut', async () => {
    let push!: (s: string) => void;
    const body = new ReadableStream<string>({ start: (c) => void (push = (s) => (s === '' ? c.close() : c.enqueue(s))) });
    const { fetch, calls } = fakeFetch(async () => new Response(body.pipeThrough(new TextEncoderStream())));
    const res = await forward(new Request('http://gw.test/x'), target, new Headers(), opts(fetch, { timeoutMs: 20 }));
    await Bun.sleep(60); // three timeouts' worth: had the timer been left running, it would have fired
    push('late ');
    push('山田');
    push('');
    expect(await res.text()).toBe('late 山田');
    expect(calls[0]!.init.signal!.aborted).toBe(false);
  });
});
