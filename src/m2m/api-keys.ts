import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyDigest } from '../config/index.ts';
import { Forbidden, InvalidRequest, UnauthorizedClient } from '../errors.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Decides who may mint M2M tokens. The original ZitAuth minted a service-user token for anyone
 * who could reach it; here callers present an API key (compared as SHA-256 digests in constant
 * time, so configured keys can be stored hashed), and with no keys configured only loopback
 * callers are served.
 */
export class ApiKeyGate {
  constructor(private readonly keys: ApiKeyDigest[]) {}

  /**
   * Throws unless the caller may proceed. `ip` is the TCP peer address; `proxied` is true when the
   * request carries forwarding headers. A reverse proxy on the same host makes every outside
   * caller look like loopback, so a proxied request never counts as a local caller.
   */
  authorize(authorization: string | null | undefined, ip: string | undefined, proxied = false): void {
    if (this.keys.length === 0) {
      if (ip && LOOPBACK.test(ip) && !proxied) return;
      throw new Forbidden(
        'M2M tokens are only served to direct (not proxied) loopback callers until API keys are configured: set ZITAUTH_M2M_API_KEYS (sha256:<hex> of each key) and send "Authorization: Bearer <api key>".',
      );
    }
    if (!authorization) throw new UnauthorizedClient('An API key is required: send "Authorization: Bearer <api key>".', { credentialsSent: false });
    const m = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(authorization);
    if (!m) throw new InvalidRequest('Malformed Authorization header (expected "Bearer <api key>").', { bearerChallenge: true });
    const digest = createHash('sha256').update(m[1]!).digest();
    let ok = false;
    // Compare against every key (no early exit) so timing does not reveal which one matched.
    for (const k of this.keys) ok = timingSafeEqual(digest, k.sha256) || ok;
    if (!ok) throw new UnauthorizedClient('The API key is not valid.', { credentialsSent: true });
  }
}

/** Headers a reverse proxy adds: their presence means the TCP peer is not the real caller. */
export function isProxied(headers: Headers): boolean {
  return headers.has('forwarded') || headers.has('x-forwarded-for') || headers.has('x-real-ip');
}
