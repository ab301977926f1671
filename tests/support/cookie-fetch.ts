/**
 * A minimal cookie jar for driving browser flows with plain fetch: no redirects are followed
 * automatically (tests inspect each hop), cookies are kept per host by name. Paths and expiry
 * attributes other than deletion are ignored — good enough for loopback test servers.
 */

export class CookieJar {
  readonly #cookies = new Map<string, Map<string, string>>();

  /** Records the Set-Cookie headers of a response received from `url`. */
  store(url: string | URL, res: Response): void {
    const host = new URL(url).host;
    const jar = this.#cookies.get(host) ?? new Map<string, string>();
    for (const sc of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = sc.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.#cookies.set(host, jar);
  }

  /** The Cookie header to send to `url` ('' when none). */
  header(url: string | URL): string {
    const jar = this.#cookies.get(new URL(url).host);
    return jar ? [...jar].map(([n, v]) => `${n}=${v}`).join('; ') : '';
  }

  get(url: string | URL, name: string): string | undefined {
    return this.#cookies.get(new URL(url).host)?.get(name);
  }

  clear(): void {
    this.#cookies.clear();
  }
}

/** fetch that sends and stores the jar's cookies and never follows redirects. */
export function cookieFetch(jar: CookieJar): (url: string | URL, init?: RequestInit) => Promise<Response> {
  return async (url, init = {}) => {
    const headers = new Headers(init.headers);
    const cookie = jar.header(url);
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(url, res);
    return res;
  };
}

/** Absolute Location of a redirect response, or undefined when `res` is not a redirect. */
export function redirectTarget(res: Response, base: string | URL): URL | undefined {
  const loc = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
  return loc ? new URL(loc, base) : undefined;
}
