/**
 * A real `fetch` that also counts the gateway's JWKS requests and how many were open at once
 * (passed to the gateway as its injected fetch). Used by the rotation tests to hold the gateway
 * to "at most one fetch per interval, one in flight" against the real dev IdP.
 */
export interface JwksWatch {
  readonly fetch: typeof fetch;
  /** JWKS requests started. */
  readonly fetches: number;
  /** Most JWKS requests open at the same moment (request sent, body not yet read). */
  readonly maxInFlight: number;
}

/** Zitadel's JWKS path (the dev IdP serves the same). */
const JWKS_PATH = '/oauth/v2/keys';

export function watchJwks(): JwksWatch {
  let fetches = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const watched = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (new URL(url).pathname !== JWKS_PATH) return fetch(input, init);
    fetches++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const res = await fetch(input, init);
      // Read the body here, so "in flight" covers the whole exchange the gateway waits for.
      const body = await res.arrayBuffer();
      return new Response(body, { status: res.status, headers: res.headers });
    } finally {
      inFlight--;
    }
  };
  return {
    fetch: watched as typeof fetch,
    get fetches() {
      return fetches;
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}
