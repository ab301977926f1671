/**
 * Logs in through a session-mode gateway the way a browser does (fetch + cookie jar): returns
 * the jar holding the session cookie, the callback's answer and the cookie header to replay.
 */
import { CookieJar, cookieFetch } from './cookie-fetch.ts';
import { startGatewayLogin } from './gateway-login.ts';
import type { Credentials } from './login.ts';

export async function sessionLogin(
  idp: { issuer: string },
  gatewayUrl: string,
  opts: { jar?: CookieJar; query?: Record<string, string>; creds?: Credentials } = {},
): Promise<{ jar: CookieJar; callback: Response; cookie: string }> {
  const jar = opts.jar ?? new CookieJar();
  const { callback: callbackUrl } = await startGatewayLogin(idp, gatewayUrl, { ...opts, jar });
  const callback = await cookieFetch(jar)(callbackUrl);
  if (callback.status !== 302) throw new Error(`callback answered ${callback.status}: ${await callback.text()}`);
  return { jar, callback, cookie: jar.header(gatewayUrl) };
}
