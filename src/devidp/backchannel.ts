/**
 * OpenID Connect Back-Channel Logout, sent the way Zitadel sends it.
 *
 * Zitadel (v4.13.1) registers a logout target per OIDC session at the code exchange when the app
 * has a `backChannelLogoutUri` and the login has a session id (`internal/command/oidc_session.go`
 * `RegisterLogout`), and when that login session ends (end_session, session terminated) it queues
 * one notification per registered OIDC session (`internal/notification/handlers/back_channel_logout.go`,
 * `back_channel_logout_worker.go`). Each carries a fresh logout token (zitadel/oidc
 * `NewLogoutTokenClaims`, `pkg/oidc/token.go`): header `alg` of the signing key, `typ: JWT`
 * (`internal/api/oidc/sign/signer.go`), claims `iss` (the instance origin), `sub` (user id),
 * `aud: [client id]`, `iat` (now − 1 s), `exp` (now + 15 min, `OIDC.BackChannelLogout.TokenLifetime`),
 * `jti`, `events: {"http://schemas.openid.net/event/backchannel-logout": {}}`, `sid`; no `nonce`.
 * Delivery (`internal/notification/channels/set/channel.go`): POST, form-encoded `logout_token=…`,
 * 5 s timeout; 200/202/204 is success, 400 is logged and not retried, anything else (and network
 * errors) fails the job, which the queue retries up to `OIDC.BackChannelLogout.MaxAttempts` (3)
 * attempts. It happens asynchronously: end_session does not wait for it.
 *
 * How Zitadel turns it on: v4.11 and later always (the `enable_back_channel_logout` feature is
 * reported as enabled by the system, `internal/api/grpc/feature/v2/converter.go`, commit #11493);
 * v2.65–v4.10 only with the instance feature `enable_back_channel_logout` (`internal/feature/feature.go`; checked in
 * `RegisterLogout` and the notifier). In both, the OIDC app needs `backChannelLogoutUri`
 * (management API `UpdateOIDCAppConfig`, console "Back-channel logout URI").
 *
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html
 */
import { epochNow } from './http.ts';
import { zitadelId } from './keys.ts';
import type { TokenService } from './tokens.ts';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** One logout notification, as recorded for tests (no token in here: it is a credential). */
export interface BackChannelDelivery {
  /** The logout token's `sub`, `sid` and `jti`. */
  sub: string;
  sid: string;
  jti: string;
  /** Client id the token is for (`aud`). */
  clientId: string;
  uri: string;
  /** Attempts made so far (at most {@link BackChannelOptions.maxAttempts}). */
  attempts: number;
  /** Status of each attempt; 0 when the request failed without an answer (refused, timed out). */
  statuses: number[];
  /**
   * `pending` while attempts remain; `delivered` on 200/202/204; `rejected` on 400 (Zitadel logs
   * and drops it); `failed` when the last attempt failed.
   */
  outcome: 'pending' | 'delivered' | 'rejected' | 'failed';
}

export interface BackChannelOptions {
  issuer: string;
  tokens: TokenService;
  /** Counter sink (`counts` of the dev IdP). */
  counts: Record<string, number>;
  log: (line: string) => void;
  /** Token lifetime; Zitadel's default 15 min. */
  tokenTtlSec: number;
  /** Zitadel's default 3. */
  maxAttempts: number;
  /** Pause before attempt n+2 (index n); the last entry repeats. */
  retryDelaysMs: number[];
  /** Per request; Zitadel's 5 s. */
  timeoutMs: number;
}

interface Registration {
  sub: string;
  clientId: string;
  uri: string;
}

export class BackChannelLogout {
  readonly deliveries: BackChannelDelivery[] = [];
  readonly #bySid = new Map<string, Registration[]>();
  readonly #inflight = new Set<Promise<void>>();

  constructor(private readonly o: BackChannelOptions) {}

  /** Called at each code exchange of a client with a back-channel URI (one OIDC session each). */
  register(sid: string, r: Registration): void {
    const list = this.#bySid.get(sid) ?? [];
    list.push(r);
    this.#bySid.set(sid, list);
  }

  /** The login session `sid` ended: notify every OIDC session registered under it, in the background. */
  sessionEnded(sid: string): BackChannelDelivery[] {
    const regs = this.#bySid.get(sid) ?? [];
    this.#bySid.delete(sid);
    const started: BackChannelDelivery[] = [];
    for (const r of regs) {
      const d: BackChannelDelivery = { sub: r.sub, sid, jti: zitadelId(), clientId: r.clientId, uri: r.uri, attempts: 0, statuses: [], outcome: 'pending' };
      this.deliveries.push(d);
      started.push(d);
      const p = this.#deliver(d).finally(() => this.#inflight.delete(p));
      this.#inflight.add(p);
    }
    return started;
  }

  /** Resolves when no delivery is in flight (including retries). */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  async #deliver(d: BackChannelDelivery): Promise<void> {
    const { o } = this;
    for (;;) {
      const token = await this.#logoutToken(d);
      d.attempts += 1;
      let status = 0;
      try {
        const res = await fetch(d.uri, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: token }).toString(),
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch {
        status = 0;
      }
      d.statuses.push(status);
      o.counts['backchannel_logout'] = (o.counts['backchannel_logout'] ?? 0) + 1;
      o.counts[`backchannel_logout:${status}`] = (o.counts[`backchannel_logout:${status}`] ?? 0) + 1;
      if (status === 200 || status === 202 || status === 204) {
        d.outcome = 'delivered';
        o.log(`devidp: back-channel logout delivered (HTTP ${status})`);
        return;
      }
      if (status === 400) {
        d.outcome = 'rejected';
        o.log('devidp: back-channel logout rejected by the app (HTTP 400), not retried');
        return;
      }
      if (d.attempts >= o.maxAttempts) {
        d.outcome = 'failed';
        o.log(`devidp: back-channel logout failed after ${d.attempts} attempts (last: ${status === 0 ? 'no answer' : `HTTP ${status}`})`);
        return;
      }
      const delays = o.retryDelaysMs;
      await Bun.sleep(delays[Math.min(d.attempts - 1, delays.length - 1)] ?? 0);
    }
  }

  /** A fresh token per attempt, as the worker builds it per job run (same jti: one notification). */
  #logoutToken(d: BackChannelDelivery): Promise<string> {
    const now = epochNow();
    return this.o.tokens.signJwt({
      iss: this.o.issuer,
      sub: d.sub,
      aud: [d.clientId],
      iat: now - 1,
      exp: now + this.o.tokenTtlSec,
      jti: d.jti,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sid: d.sid,
    });
  }
}
