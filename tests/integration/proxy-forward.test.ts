/**
 * The proxy library through real HTTP on both sides: a browser-side client (fetch, or a raw
 * socket where fetch would tidy the request up) → a tiny Bun.serve gateway calling forward()
 * (proxy-gateway.ts) → a Bun.serve upstream that records what arrived.
 *
 * No IdP takes part (the token and identity are fixed inputs of the gateway), so the two
 * configuration modes of the stack do not apply here; the session-mode flow tests that the lead
 * writes run the proxy through the real stack in both.
 *
 * Waiting is on outcomes (a chunk arrived, an abort was seen), never on durations.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { gzipSync } from 'node:zlib';
import { freePort } from '../support/stack.ts';
import { GATEWAY_TOKEN, startProxyGateway, type ProxyGateway } from './proxy-gateway.ts';

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: Buffer;
}
const seen = new Map<string, Seen>();

/** One-shot events between the upstream and a test, created on first mention. */
const events = new Map<string, { promise: Promise<void>; resolve: () => void }>();
function event(name: string) {
  let e = events.get(name);
  if (!e) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    e = { promise, resolve };
    events.set(name, e);
  }
  return e;
}

let upstream: ReturnType<typeof Bun.serve>;
let resetter: Server;
let weird: Server;
let gw: ProxyGateway;
let shortGw: ProxyGateway;

const enc = new TextEncoder();

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const id = req.headers.get('x-test-id') ?? '';
      const path = url.pathname;
      if (path === '/base/upload-stream') {
        const reader = req.body!.getReader();
        const chunks: Uint8Array[] = [];
        let r = await reader.read();
        event(`${id}:first-chunk-upstream`).resolve();
        while (!r.done) {
          chunks.push(r.value);
          r = await reader.read();
        }
        return new Response(Buffer.concat(chunks));
      }
      const body = Buffer.from(await req.arrayBuffer());
      seen.set(id, { method: req.method, url: req.url, headers: req.headers, body });
      if (path.startsWith('/base/redirect/')) {
        return new Response('moved', { status: Number(path.split('/')[3]), headers: { location: '/base/elsewhere?q=%E2%82%AC&next=%2Fhome' } });
      }
      if (path === '/base/own-error') return Response.json({ error: 'upstream_says_no', detail: '在庫なし' }, { status: 503 });
      if (path === '/base/cookies') {
        const h = new Headers({ 'content-type': 'text/plain' });
        for (const c of ['a=1; Path=/', '__Host-zitauth_session=forged; Path=/; Secure; HttpOnly', 'b=%E5%B1%B1; HttpOnly', 'zitauth_login_x=1', '=__Host-zitauth_session=nameless', 'c=3'])
          h.append('set-cookie', c);
        return new Response('ok', { headers: h });
      }
      if (path === '/base/gzip') {
        return new Response(gzipSync('山田太郎 '.repeat(100)), { headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain; charset=utf-8' } });
      }
      if (path === '/base/stream') {
        return new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(enc.encode('first 山田\n'));
            },
            async pull(c) {
              await event(`${id}:release`).promise;
              c.enqueue(enc.encode('second 😀\n'));
              c.close();
            },
          }),
          { headers: { 'content-type': 'text/plain; charset=utf-8' } },
        );
      }
      if (path === '/base/forever') {
        let i = 0;
        return new Response(
          new ReadableStream({
            async pull(c) {
              await Bun.sleep(20);
              c.enqueue(enc.encode(`chunk ${i++}\n`));
            },
            cancel() {
              event(`${id}:cancelled`).resolve();
            },
          }),
        );
      }
      if (path === '/base/hang') {
        event(`${id}:arrived`).resolve();
        await new Promise<void>((r) => req.signal.addEventListener('abort', () => r()));
        event(`${id}:aborted`).resolve();
        return new Response('too late');
      }
      return Response.json({ ok: true }, { headers: { 'x-upstream': 'orders' } });
    },
  });
  resetter = createServer((s) => s.once('data', () => s.resetAndDestroy())).listen(0, '127.0.0.1');
  await new Promise((r) => resetter.once('listening', r));
  weird = createServer((s) => s.once('data', () => s.end('HTTP/1.1 999 Weird\r\nContent-Length: 2\r\n\r\nok'))).listen(0, '127.0.0.1');
  await new Promise((r) => weird.once('listening', r));
  const base = `http://127.0.0.1:${upstream.port}`;
  const upstreams = `orders=${base}/base,root=${base},down=http://127.0.0.1:${freePort()}/x,reset=http://127.0.0.1:${(resetter.address() as { port: number }).port},weird=http://127.0.0.1:${(weird.address() as { port: number }).port}`;
  gw = startProxyGateway({ upstreams, timeoutMs: 10_000 });
  shortGw = startProxyGateway({ upstreams, timeoutMs: 300 });
});

afterAll(async () => {
  await gw.stop();
  await shortGw.stop();
  await upstream.stop(true);
  resetter.close();
  weird.close();
});

let n = 0;
const newId = () => `t${++n}-${crypto.randomUUID()}`;

/** A raw HTTP/1.1 exchange, for requests fetch would not send as written (bytes above 0x7f, hop-by-hop, bad paths). */
async function raw(url: string, head: string, body = ''): Promise<{ status: number; headers: string; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(Number(u.port), u.hostname, () => s.write(Buffer.concat([Buffer.from(head.replaceAll('\n', '\r\n') + '\r\n', 'latin1'), Buffer.from(body)])));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headers = '', ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(headers.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    s.on('error', reject);
  });
}

describe('method, path, query and body arrive as sent', () => {
  const PATH = '/echo/商品/%E2%82%AC/a%20b';
  const QUERY = '?q=山田太郎&mail=josé@exämple.com&role=管理者&plus=%2B+1&odd=%zz';
  const BODY = JSON.stringify({ name: '山田太郎', email: 'josé@exämple.com', roles: ['管理者'], note: 'quote " and \\ and \r\n', emoji: '😀' });

  const cases: [string, boolean][] = [
    ['GET', false],
    ['HEAD', false],
    ['OPTIONS', false],
    ['DELETE', false],
    ['POST', true],
    ['PUT', true],
    ['PATCH', true],
    ['DELETE', true],
    ['OPTIONS', true],
  ];
  test.each(cases)('%s (body: %p)', async (method, withBody) => {
    const id = newId();
    const sent = new URL(`${gw.url}/api/v1/proxy/orders${PATH}${QUERY}`);
    const res = await fetch(sent, { method, headers: { 'x-test-id': id, 'content-type': 'application/json' }, body: withBody ? BODY : undefined });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('orders');
    const text = await res.text();
    expect(text).toBe(method === 'HEAD' ? '' : '{"ok":true}');
    const s = seen.get(id)!;
    expect(s.method).toBe(method);
    const got = new URL(s.url);
    // Byte for byte: what the client's URL carried after the prefix is what the upstream got after its base.
    expect(got.pathname).toBe(`/base${sent.pathname.slice('/api/v1/proxy/orders'.length)}`);
    expect(got.search).toBe(sent.search);
    expect(decodeURIComponent(got.pathname)).toBe('/base/echo/商品/€/a b');
    expect(got.searchParams.get('q')).toBe('山田太郎');
    expect(got.searchParams.get('mail')).toBe('josé@exämple.com');
    expect(got.searchParams.get('role')).toBe('管理者');
    expect(got.searchParams.get('plus')).toBe('+ 1');
    expect(s.body.toString('utf8')).toBe(withBody ? BODY : '');
    expect(s.headers.get('authorization')).toBe(`Bearer ${GATEWAY_TOKEN}`);
  });

  test('a root base: the path is the rest', async () => {
    const id = newId();
    const res = await fetch(`${gw.url}/api/v1/proxy/root/base/echo/x?y=1`, { headers: { 'x-test-id': id } });
    expect(res.status).toBe(200);
    expect(new URL(seen.get(id)!.url).pathname + new URL(seen.get(id)!.url).search).toBe('/base/echo/x?y=1');
  });

  test('a GET with a body (allowed on the wire) goes on without it, and without its Content-Length', async () => {
    const id = newId();
    const r = await raw(gw.url, `GET /api/v1/proxy/orders/echo HTTP/1.1\nHost: gw.test\nx-test-id: ${id}\nContent-Length: 5\nConnection: close\n`, 'hello');
    expect(r.status).toBe(200);
    expect(seen.get(id)!.method).toBe('GET');
    expect(seen.get(id)!.body.length).toBe(0);
    expect(seen.get(id)!.headers.get('content-length')).toBeNull();
  });

  test('HEAD keeps the upstream’s Content-Length', async () => {
    const res = await fetch(`${gw.url}/api/v1/proxy/orders/gzip`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(gzipSync('山田太郎 '.repeat(100)).length);
    expect(await res.text()).toBe('');
  });
});

describe('headers through real HTTP', () => {
  test('hostile request headers: credentials, spoofed identity and forwarding, hop-by-hop — gone; UTF-8 bytes intact', async () => {
    const id = newId();
    const port = new URL(gw.url).port;
    const r = await raw(
      gw.url,
      [
        'POST /api/v1/proxy/orders/echo HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        `x-test-id: ${id}`,
        'Connection: close, X-Hop-Secret',
        'X-Hop-Secret: do-not-forward',
        'Keep-Alive: timeout=5',
        'Proxy-Authorization: Basic cHJveHk6cHc=',
        'Cookie: __Host-zitauth_session=SESSIONID; other=1',
        'Authorization: Bearer browser-supplied',
        'X-Auth-Request-User: admin',
        'X-Auth-Request-Groups: root',
        'X-Forwarded-For: 6.6.6.6',
        'Forwarded: for=6.6.6.6;host=admin.internal',
        'X-Real-IP: 6.6.6.6',
        'X-CSRF: 1',
        `X-Note: ${Buffer.from('山田 "quoted" 😀', 'utf8').toString('latin1')}`,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Length: 6',
        '',
      ].join('\n'),
      'héllo',
    );
    expect(r.status).toBe(200);
    const h = seen.get(id)!.headers;
    for (const gone of ['x-hop-secret', 'keep-alive', 'proxy-authorization', 'cookie', 'x-auth-request-groups', 'x-real-ip', 'x-csrf']) expect(h.get(gone)).toBeNull();
    expect(h.get('authorization')).toBe(`Bearer ${GATEWAY_TOKEN}`);
    expect(h.get('x-auth-request-user')).toBe('312909075211944585');
    expect(Buffer.from(h.get('x-auth-request-preferred-username')!, 'latin1').toString('utf8')).toBe('山田太郎');
    expect(Buffer.from(h.get('x-auth-request-email')!, 'latin1').toString('utf8')).toBe('josé@exämple.com');
    expect(Buffer.from(h.get('x-auth-request-roles')!, 'latin1').toString('utf8')).toBe('管理者,viewer');
    expect(Buffer.from(h.get('x-note')!, 'latin1').toString('utf8')).toBe('山田 "quoted" 😀');
    expect(h.get('x-forwarded-for')).toBe('127.0.0.1');
    expect(h.get('forwarded')).toBe(`for=127.0.0.1;host="127.0.0.1:${port}";proto=http`);
    expect(h.get('host')).toBe(`127.0.0.1:${upstream.port}`);
    expect(h.get('accept-encoding')).toBe('identity');
    expect(h.get('via')).toBe('1.1 zitauth');
    expect(seen.get(id)!.body.toString('utf8')).toBe('héllo');
  });

  test('several Set-Cookie come back one by one, without the gateway’s own', async () => {
    const res = await fetch(`${gw.url}/api/v1/proxy/orders/cookies`);
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=%E5%B1%B1; HttpOnly', 'c=3']);
  });

  test('a compressed body is relayed undecoded, Content-Encoding kept', async () => {
    const res = await fetch(`${gw.url}/api/v1/proxy/orders/gzip`, { headers: { 'accept-encoding': 'gzip' }, decompress: false } as RequestInit);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(gzipSync('山田太郎 '.repeat(100)))).toBe(true);
  });
});

describe('answers passed through', () => {
  test.each([301, 302, 303, 307, 308])('%d with its Location, not followed', async (code) => {
    const res = await fetch(`${gw.url}/api/v1/proxy/orders/redirect/${code}`, { redirect: 'manual' });
    expect(res.status).toBe(code);
    expect(res.headers.get('location')).toBe('/base/elsewhere?q=%E2%82%AC&next=%2Fhome');
    expect(await res.text()).toBe('moved');
  });

  test('the upstream’s own 503 is its answer, not the gateway’s error', async () => {
    const res = await fetch(`${gw.url}/api/v1/proxy/orders/own-error`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'upstream_says_no', detail: '在庫なし' });
  });
});

describe('streaming', () => {
  test('the first response chunk reaches the client before the upstream has finished', async () => {
    const id = newId();
    const res = await fetch(`${gw.url}/api/v1/proxy/orders/stream`, { headers: { 'x-test-id': id } });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    // The upstream cannot finish before `release`: reading "first" now proves nothing buffered it.
    let text = '';
    while (!text.includes('\n')) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += dec.decode(value, { stream: true });
    }
    expect(text).toBe('first 山田\n');
    event(`${id}:release`).resolve();
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += dec.decode(r.value, { stream: true });
    expect(text).toBe('first 山田\nsecond 😀\n');
  });

  test('the request body reaches the upstream while the client is still sending', async () => {
    const id = newId();
    let step = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (step === 0) c.enqueue(enc.encode('part one, '));
        else if (step === 1) {
          // Sent only once the upstream has read part one: a buffering proxy deadlocks here.
          await event(`${id}:first-chunk-upstream`).promise;
          c.enqueue(enc.encode('part two 管理者'));
        } else c.close();
        step++;
      },
    });
    const res = await fetch(`${gw.url}/api/v1/proxy/orders/upload-stream`, { method: 'POST', body, duplex: 'half', headers: { 'x-test-id': id } } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('part one, part two 管理者');
  });
});

describe('failures become the gateway’s JSON errors', () => {
  async function expectError(res: Response, status: number, description: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: status === 400 || status === 404 ? 'invalid_request' : 'server_error', error_description: description });
    // Fixed text: no upstream address, no path or query from the request.
    for (const leak of ['127.0.0.1', String(upstream.port), '/x', 'secret', 'ECONN']) expect(text).not.toContain(leak);
  }

  test('upstream down (connection refused) → 502', async () => {
    await expectError(await fetch(`${gw.url}/api/v1/proxy/down/items?token=secret`), 502, 'The upstream service is unreachable.');
    expect(gw.failures).toContain('UPSTREAM_UNAVAILABLE');
  });

  test('upstream resets the connection → 502', async () => {
    await expectError(await fetch(`${gw.url}/api/v1/proxy/reset/items`, { method: 'POST', body: 'x' }), 502, 'The upstream service is unreachable.');
  });

  test('upstream answers with a status no Response can carry (999) → 502', async () => {
    await expectError(await fetch(`${gw.url}/api/v1/proxy/weird/items`), 502, 'The upstream service sent an unusable response.');
    expect(gw.failures).toContain('UPSTREAM_BAD_RESPONSE');
  });

  test('a slow upload that keeps moving is not cut by the timeout (it bounds standstill, not duration)', async () => {
    const id = newId();
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        // 10 chunks, 60 ms apart: twice the 300 ms timeout in all, each gap a fifth of it.
        if (i > 0) await Bun.sleep(60);
        if (i === 10) return c.close();
        c.enqueue(enc.encode(`${i++}:山田;`));
      },
    });
    const res = await fetch(`${shortGw.url}/api/v1/proxy/orders/upload-stream`, { method: 'POST', body, duplex: 'half', headers: { 'x-test-id': id } } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(Array.from({ length: 10 }, (_, k) => `${k}:山田;`).join(''));
  });

  test('upstream slow (no headers within the timeout) → 504, and the upstream request is aborted', async () => {
    const id = newId();
    const res = await fetch(`${shortGw.url}/api/v1/proxy/orders/hang?token=secret`, { headers: { 'x-test-id': id } });
    await expectError(res, 504, 'The upstream service did not answer in time.');
    expect(shortGw.failures).toContain('UPSTREAM_TIMEOUT');
    await event(`${id}:aborted`).promise;
  });

  test('unknown upstream → 404; an escaping path → 400; neither reaches any upstream', async () => {
    const before = seen.size;
    await expectError(await fetch(`${gw.url}/api/v1/proxy/billing/x`), 404, 'No such upstream.');
    await expectError(await fetch(`${gw.url}/api/v1/proxy/Orders/x`), 404, 'No such upstream.');
    for (const path of ['a%2F..%2F..%2Fadmin', '..;/admin', '%252e%252e/admin', 'a%5C..%5Cadmin', 'x%00', '%C0%AE%C0%AE/admin']) {
      const r = await raw(gw.url, `GET /api/v1/proxy/orders/${path} HTTP/1.1\nHost: gw.test\nConnection: close\n`);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toEqual({ error: 'invalid_request', error_description: 'The proxied path is not allowed.' });
    }
    // Bun resolves plain and %2e dot segments in request.url itself: they leave the proxy prefix.
    const dots = await raw(gw.url, 'GET /api/v1/proxy/orders/%2e%2e/%2e%2e/admin HTTP/1.1\nHost: gw.test\nConnection: close\n');
    expect(dots.status).toBe(404);
    expect(seen.size).toBe(before);
  });

  test.each(['TRACE', 'CONNECT'])('%s is refused (TRACE would echo the bearer token to the page; CONNECT would tunnel)', async (method) => {
    const id = newId();
    const r = await raw(gw.url, `${method} /api/v1/proxy/orders/echo HTTP/1.1\nHost: gw.test\nx-test-id: ${id}\nConnection: close\n`);
    expect(r.status).toBe(400);
    expect(r.body).not.toContain(GATEWAY_TOKEN);
    expect(seen.has(id)).toBe(false);
  });
});

describe('the client going away', () => {
  async function eventually(check: () => boolean) {
    while (!check()) await Bun.sleep(10);
  }

  test('before the upstream answers: the upstream request is aborted', async () => {
    const id = newId();
    const ac = new AbortController();
    const pending = fetch(`${gw.url}/api/v1/proxy/orders/hang`, { headers: { 'x-test-id': id }, signal: ac.signal }).catch((e: Error) => e);
    await event(`${id}:arrived`).promise;
    ac.abort();
    expect(((await pending) as Error).name).toBe('AbortError');
    await event(`${id}:aborted`).promise;
    await eventually(() => gw.failures.includes('CLIENT_CLOSED_REQUEST'));
  });

  test('while the body streams: the upstream stream is cancelled', async () => {
    const id = newId();
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/api/v1/proxy/orders/forever`, { headers: { 'x-test-id': id }, signal: ac.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toStartWith('chunk 0');
    ac.abort();
    await event(`${id}:cancelled`).promise;
  });
});

test('bytes of every value survive: a binary body round trip', async () => {
  const id = newId();
  const bytes = new Uint8Array(70_000).map((_, i) => (i * 31 + 7) & 0xff);
  const res = await fetch(`${gw.url}/api/v1/proxy/orders/echo/bin`, { method: 'PUT', body: bytes, headers: { 'x-test-id': id } });
  expect(res.status).toBe(200);
  const got = seen.get(id)!.body;
  expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
});
