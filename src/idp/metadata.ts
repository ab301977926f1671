/**
 * Where Zitadel's endpoints are. Two kinds:
 * - **required** (authorization, token, JWKS): nothing works without them. They come from the
 *   configured overrides (the original ZitAuth's `.env` sets all three) or from discovery; while
 *   discovery fails they are a 503 with `Retry-After`.
 * - **optional** (userinfo, introspection, end_session, revocation): needed by single features.
 *   An override wins; else discovery — run lazily on first need even when the required ones were
 *   all configured (issue 11: an original `.env` used to switch discovery off altogether, so
 *   opaque tokens and /logout answered 503); and when discovery is unreachable, Zitadel's fixed
 *   paths under the issuer (zitadel.md "Endpoints"; Zitadel serves them at these paths on every
 *   instance unless an operator sets ZITADEL_OIDC_CUSTOMENDPOINTS_*: internal/api/oidc/server.go,
 *   cmd/defaults.yaml). A discovery failure is never fatal for them.
 *
 * One discovery in flight at a time; a failure is remembered for `retrySec`, so an outage does not
 * turn every request into a discovery call.
 */
import * as oauth from 'oauth4webapi';
import { IdpUnavailable, type ZitAuthError } from '../errors.ts';
import type { EndpointOverrides } from '../config/index.ts';

export type OptionalEndpoint = 'userinfo' | 'introspection' | 'endSession' | 'revocation';

/** Zitadel's fixed paths, relative to the issuer (zitadel.md "Endpoints"). */
export const ZITADEL_PATHS = {
  authorization: '/oauth/v2/authorize',
  token: '/oauth/v2/token',
  jwks: '/oauth/v2/keys',
  userinfo: '/oidc/v1/userinfo',
  introspection: '/oauth/v2/introspect',
  revocation: '/oauth/v2/revoke',
  endSession: '/oidc/v1/end_session',
} as const;

const DISCOVERED_NAME: Record<OptionalEndpoint, keyof oauth.AuthorizationServer> = {
  userinfo: 'userinfo_endpoint',
  introspection: 'introspection_endpoint',
  endSession: 'end_session_endpoint',
  revocation: 'revocation_endpoint',
};

export interface EndpointResolverOptions {
  issuer: string;
  overrides: EndpointOverrides;
  /** Runs the discovery request and validates the document (oauth4webapi); rejects on failure. */
  discover: () => Promise<oauth.AuthorizationServer>;
  /** Seconds a failed discovery is remembered. Default 5. */
  retrySec?: number;
  now?: () => number;
  /** Told once per failed discovery whose failure the optional endpoints absorbed (warn log). */
  onOptionalFallback?: (error: ZitAuthError) => void;
}

/** The endpoints resolved so far; see the module comment. */
export class EndpointResolver {
  #required: oauth.AuthorizationServer | undefined;
  #discovered: oauth.AuthorizationServer | undefined;
  #inflight: Promise<oauth.AuthorizationServer> | undefined;
  #failure: { at: number; error: ZitAuthError } | undefined;
  #reported: ZitAuthError | undefined;
  readonly #o: EndpointResolverOptions;
  readonly #now: () => number;

  constructor(opts: EndpointResolverOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    const { authorization, token, jwks } = opts.overrides;
    // All three required endpoints configured: usable at once, with no network call.
    if (authorization && token && jwks) {
      this.#required = { issuer: opts.issuer, authorization_endpoint: authorization, token_endpoint: token, jwks_uri: jwks };
    }
  }

  /** True once the required endpoints are known (configured or discovered). */
  get ready(): boolean {
    return this.#required !== undefined;
  }

  /** True once a discovery document was loaded. */
  get discovered(): boolean {
    return this.#discovered !== undefined;
  }

  /**
   * The metadata with the required endpoints (and, once discovered, everything else discovery
   * said). @throws IdpUnavailable 503 while they cannot be resolved
   */
  async required(): Promise<oauth.AuthorizationServer> {
    if (this.#required) return this.#required;
    const doc = await this.#discover();
    const o = this.#o.overrides;
    this.#required = {
      ...doc,
      authorization_endpoint: o.authorization ?? doc.authorization_endpoint,
      token_endpoint: o.token ?? doc.token_endpoint,
      jwks_uri: o.jwks ?? doc.jwks_uri,
    };
    return this.#required;
  }

  /** An optional endpoint's URL: override, else discovered, else Zitadel's fixed path. Never throws. */
  async optional(name: OptionalEndpoint): Promise<string> {
    const override = this.#o.overrides[name as keyof EndpointOverrides];
    if (override) return override;
    let doc = this.#discovered;
    if (doc === undefined) {
      try {
        doc = await this.#discover();
      } catch (err) {
        // Once per failed attempt, not once per request answered from the fallback.
        if (err !== this.#reported) this.#o.onOptionalFallback?.((this.#reported = err as ZitAuthError));
      }
    }
    const discovered = doc?.[DISCOVERED_NAME[name]];
    return typeof discovered === 'string' ? discovered : `${this.#o.issuer}${ZITADEL_PATHS[name]}`;
  }

  #discover(): Promise<oauth.AuthorizationServer> {
    if (this.#discovered) return Promise.resolve(this.#discovered);
    const retryMs = (this.#o.retrySec ?? 5) * 1000;
    if (this.#inflight === undefined && this.#failure && this.#now() - this.#failure.at < retryMs) {
      return Promise.reject(this.#failure.error);
    }
    this.#inflight ??= this.#o
      .discover()
      .then((doc) => {
        this.#discovered = doc;
        this.#failure = undefined;
        return doc;
      })
      .catch((err: unknown) => {
        const error = new IdpUnavailable('The identity provider metadata could not be loaded.', {
          status: 503,
          retryAfter: this.#o.retrySec ?? 5,
          detail: err instanceof Error ? `${err.name}: ${(err as { detail?: string }).detail ?? err.message}` : String(err),
        });
        this.#failure = { at: this.#now(), error };
        throw error;
      })
      .finally(() => {
        this.#inflight = undefined;
      });
    return this.#inflight;
  }
}
