/**
 * One proxied exchange: the browser's request goes to the upstream, the upstream's answer comes
 * back — both bodies streamed, neither buffered, so a 50 MB upload or download costs the gateway
 * a few socket buffers, not 50 MB.
 *
 * What the timeout covers: *silence before the upstream's response headers*. Until the headers
 * arrive the exchange may stand still for at most `timeoutMs`: while the request body is being
 * sent, every chunk counts as progress (a 50 MB upload over a slow link takes as long as it
 * takes, but one stalled for `timeoutMs` is ended); after its last byte the upstream has
 * `timeoutMs` to send its headers. Once the headers are in, the response body streams without
 * a gateway timer — a download, a long poll or server-sent events may last as long as they
 * last; a stall there is bounded by the server's per-connection idle timeout on the browser
 * side (`Bun.serve({ idleTimeout })`). The browser going away ends the exchange at any point:
 * its request signal aborts the upstream request, so the upstream is not left streaming into
 * nowhere.
 *
 * Redirects are not followed (`redirect: 'manual'`): a 3xx and its Location go back to the
 * browser as the upstream sent them (a Location naming the upstream's own host is not
 * rewritten). Bodies are not decompressed (`decompress: false`): bytes and `Content-Encoding`
 * pass as they are.
 *
 * Backpressure both ways comes from handing the streams over (`request.body`, through the
 * progress probe, to fetch; the upstream's body to the Response): a browser that stops reading
 * stops the upstream, an upstream that stops reading stops the upload
 * (tests/integration/proxy-memory.test.ts).
 * Known Bun limit: Bun.serve frames a streamed response body chunked and drops the upstream's
 * `Content-Length` for it (oven-sh/bun#10507, open), so the browser sees no length on
 * downloads; HEAD answers and bodies Bun has whole keep it. Upstream-bound, a Content-Length
 * with a streamed body is sent as is.
 */
import { InvalidRequest } from '../errors.ts';
import { ClientClosedRequest, UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable } from './errors.ts';
import { browserResponseHeaders } from './headers.ts';

/** Options for {@link forward}. */
export interface ForwardOptions {
  /** Longest standstill before the upstream's response headers, in ms (see the module comment). */
  timeoutMs: number;
  /** The gateway's own cookie names; their `Set-Cookie` lines never reach the browser. */
  isGatewayCookie: (name: string) => boolean;
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
  /** Aborts the exchange (e.g. server shutdown); the browser's own disconnect is `request.signal`. */
  signal?: AbortSignal;
}

/**
 * TRACE echoes the request back — the upstream would hand the user's access token to the page
 * (cross-site tracing). CONNECT would turn the proxy into a tunnel. (IIS's TRACK never gets
 * here: Bun.serve refuses methods it does not know.)
 */
const REFUSED_METHODS = new Set(['TRACE', 'CONNECT']);
/** Fetch refuses a body for these; a body a client sent anyway is not forwarded. */
const NO_BODY_METHODS = new Set(['GET', 'HEAD']);

/**
 * Sends `request` (method, streamed body) to `target` with `headers` (built by
 * `upstreamRequestHeaders`) and returns the upstream's status, filtered headers and streamed
 * body. Any status the upstream sends, 5xx included, is its answer and is returned, not thrown.
 *
 * @throws InvalidRequest 400 for TRACE and CONNECT
 * @throws UpstreamUnavailable 502 — refused, reset, DNS failure, TLS failure, broken response
 * @throws UpstreamTimeout 504 — `timeoutMs` without progress before the response headers
 * @throws UpstreamBadResponse 502 — a status a Response cannot carry (e.g. 999, 1xx)
 * @throws ClientClosedRequest 499 — `request.signal` or `opts.signal` aborted first
 */
export async function forward(request: Request, target: URL, headers: Headers, opts: ForwardOptions): Promise<Response> {
  if (REFUSED_METHODS.has(request.method.toUpperCase())) throw new InvalidRequest('This method is not forwarded to upstream services.');

  const withBody = !NO_BODY_METHODS.has(request.method.toUpperCase()) && request.body !== null;
  let sent = headers;
  if (!withBody && (headers.has('content-length') || headers.has('transfer-encoding'))) {
    // Bun hands a GET's body to nobody but keeps its Content-Length; the upstream would wait for it.
    sent = new Headers(headers);
    sent.delete('content-length');
    sent.delete('transfer-encoding');
  }

  // The idle timer: re-armed for the remaining time while body chunks keep moving, so a chunk
  // costs a timestamp, not a clearTimeout/setTimeout pair.
  let lastProgress = performance.now();
  const body = withBody
    ? request.body!.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            lastProgress = performance.now();
            controller.enqueue(chunk);
          },
          flush() {
            lastProgress = performance.now();
          },
        }),
      )
    : null;
  const timeout = new AbortController();
  let timer: ReturnType<typeof setTimeout>;
  const check = () => {
    const idle = performance.now() - lastProgress;
    if (idle >= opts.timeoutMs) timeout.abort();
    else timer = setTimeout(check, opts.timeoutMs - idle);
  };
  timer = setTimeout(check, opts.timeoutMs);
  const signal = AbortSignal.any(opts.signal ? [timeout.signal, request.signal, opts.signal] : [timeout.signal, request.signal]);
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(target, {
      method: request.method,
      headers: sent,
      body,
      // Fetch's flag for a streamed request body: send while the browser is still uploading.
      duplex: 'half',
      redirect: 'manual',
      decompress: false,
      signal,
    } as RequestInit);
  } catch (err) {
    const detail = describe(err, target);
    if (timeout.signal.aborted) throw new UpstreamTimeout({ detail: `${target.origin}: ${opts.timeoutMs} ms without progress before the response headers`, cause: err });
    if (request.signal.aborted || opts.signal?.aborted) throw new ClientClosedRequest({ detail, cause: err });
    throw new UpstreamUnavailable({ detail, cause: err });
  } finally {
    clearTimeout(timer);
  }

  if (res.status < 200 || res.status > 599) {
    await res.body?.cancel().catch(() => {});
    throw new UpstreamBadResponse({ detail: `${target.origin}: status ${res.status}` });
  }
  return new Response(res.body, {
    status: res.status,
    statusText: res.statusText,
    headers: browserResponseHeaders(res.headers, opts.isGatewayCookie),
  });
}

/**
 * The log detail for a failed fetch: the upstream's origin and the error's code and text, never
 * the path or query (they may carry the user's data); Bun's error texts are fixed phrases, and
 * the full URL, should one appear, is cut back to the origin.
 */
function describe(err: unknown, target: URL): string {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  const kind = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
  const text = typeof e?.message === 'string' ? e.message.replaceAll(target.href, target.origin).slice(0, 300) : String(err).slice(0, 300);
  return `${target.origin}: ${kind}: ${text}`;
}
