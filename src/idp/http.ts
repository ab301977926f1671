import { IdpTimeout, IdpUnavailable } from '../errors.ts';

/** Which IdP endpoint an outbound call targets; used for metrics and error messages. */
export type IdpEndpoint = 'discovery' | 'token' | 'userinfo' | 'introspection' | 'jwks';

/** Observer of every outbound IdP call (metrics). `ok` is false on network failure or 5xx. */
export type IdpCallObserver = (endpoint: IdpEndpoint, ms: number, ok: boolean) => void;

/**
 * Wraps fetch so every outbound call has a timeout and network failures become our errors.
 * Why a wrapper instead of a global: tests inject their own fetch and count calls (style habit 4).
 */
export function createTimedFetch(opts: {
  fetch?: typeof fetch;
  timeoutMs: number;
  observe?: IdpCallObserver;
}): (endpoint: IdpEndpoint, input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  const doFetch = opts.fetch ?? fetch;
  return async (endpoint, input, init) => {
    const started = performance.now();
    const signal = init?.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(opts.timeoutMs)])
      : AbortSignal.timeout(opts.timeoutMs);
    try {
      const res = await doFetch(input, { ...init, signal, redirect: 'manual' });
      opts.observe?.(endpoint, performance.now() - started, res.status < 500);
      return res;
    } catch (err) {
      opts.observe?.(endpoint, performance.now() - started, false);
      throw networkError(endpoint, err);
    }
  };
}

/** Maps a fetch rejection to 504 (timeout) or 502 (unreachable); the cause stays in the log. */
export function networkError(endpoint: IdpEndpoint, err: unknown): IdpTimeout | IdpUnavailable {
  const name = (err as { name?: string } | null)?.name;
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new IdpTimeout(`The identity provider did not answer in time (${endpoint}).`, { detail, cause: err });
  }
  return new IdpUnavailable(`The identity provider is unreachable (${endpoint}).`, { detail, cause: err });
}
