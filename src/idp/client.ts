import * as oauth from 'oauth4webapi';
import { IdpBadResponse, IdpRejected, IdpUnavailable, InvalidRequest, InvalidToken, NotConfigured, ZitAuthError } from '../errors.ts';
import type { EndpointOverrides } from '../config/schema.ts';
import { createTimedFetch, type IdpCallObserver, type IdpEndpoint } from './http.ts';

/**
 * The only module that talks to oauth4webapi (style habit 7). Everything the gateway needs from
 * Zitadel goes through {@link IdpClient}; the rest of the code never sees protocol library types,
 * so swapping or mocking the IdP side touches this folder only.
 */

export interface IdpClientOptions {
  issuer: string;
  clientId: string;
  redirectUri: string;
  overrides?: EndpointOverrides;
  timeoutMs: number;
  fetch?: typeof fetch;
  observe?: IdpCallObserver;
  /** Seconds between discovery retries after a failure. */
  discoveryRetrySec?: number;
  now?: () => number;
}

/** The endpoints resolved from discovery plus overrides. */
export interface IdpMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  introspection_endpoint?: string;
  end_session_endpoint?: string;
}

export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in: number | undefined;
  id_token: string | undefined;
  refresh_token: string | undefined;
  scope: string | undefined;
}

/** How the gateway authenticates to the introspection endpoint. */
export type IntrospectionAuth =
  | { kind: 'private_key_jwt'; clientId: string; keyId: string; privateKey: CryptoKey }
  | { kind: 'basic'; clientId: string; clientSecret: string };

export class IdpClient {
  private as: oauth.AuthorizationServer | undefined;
  private loading: Promise<oauth.AuthorizationServer> | undefined;
  private lastFailureAt = -Infinity;
  private lastError: ZitAuthError | undefined;
  private readonly timedFetch: ReturnType<typeof createTimedFetch>;
  private readonly client: oauth.Client;
  private readonly now: () => number;

  constructor(private readonly opts: IdpClientOptions) {
    this.timedFetch = createTimedFetch({ fetch: opts.fetch, timeoutMs: opts.timeoutMs, observe: opts.observe });
    this.client = { client_id: opts.clientId };
    this.now = opts.now ?? Date.now;
  }

  /** Options passed to every oauth4webapi request: our timed fetch, http allowed (dev/test IdPs). */
  private requestOptions(endpoint: IdpEndpoint) {
    return {
      [oauth.customFetch]: (url: string, init: RequestInit) => this.timedFetch(endpoint, url, init),
      [oauth.allowInsecureRequests]: true,
    } as const;
  }

  /** True once discovery (or the configured overrides) produced usable metadata. */
  get ready(): boolean {
    return this.as !== undefined;
  }

  /**
   * Resolves the IdP metadata once; a failure is remembered for `discoveryRetrySec` so an IdP
   * outage does not turn every request into a discovery call. Only one load runs at a time.
   */
  async metadata(): Promise<IdpMetadata> {
    return (await this.authorizationServer()) as IdpMetadata;
  }

  private async authorizationServer(): Promise<oauth.AuthorizationServer> {
    if (this.as) return this.as;
    const retryMs = (this.opts.discoveryRetrySec ?? 5) * 1000;
    if (this.lastError && this.now() - this.lastFailureAt < retryMs) throw this.lastError;
    this.loading ??= this.discover().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async discover(): Promise<oauth.AuthorizationServer> {
    const o = this.opts.overrides ?? {};
    try {
      const issuerUrl = new URL(this.opts.issuer);
      let discovered: oauth.AuthorizationServer | undefined;
      if (!(o.authorization && o.token && o.jwks)) {
        const res = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oidc', ...this.requestOptions('discovery') });
        discovered = await oauth.processDiscoveryResponse(issuerUrl, res);
      }
      const as: oauth.AuthorizationServer = {
        ...discovered,
        issuer: discovered?.issuer ?? this.opts.issuer,
        authorization_endpoint: o.authorization ?? discovered?.authorization_endpoint,
        token_endpoint: o.token ?? discovered?.token_endpoint,
        jwks_uri: o.jwks ?? discovered?.jwks_uri,
        userinfo_endpoint: o.userinfo ?? discovered?.userinfo_endpoint,
        introspection_endpoint: o.introspection ?? discovered?.introspection_endpoint,
        end_session_endpoint: o.endSession ?? discovered?.end_session_endpoint,
      };
      this.as = as;
      this.lastError = undefined;
      return as;
    } catch (err) {
      const e = mapIdpError(err, 'discovery');
      // Discovery failing means the gateway cannot work at all right now: 503, retry soon.
      this.lastError = new IdpUnavailable('The identity provider metadata could not be loaded.', {
        status: 503,
        retryAfter: this.opts.discoveryRetrySec ?? 5,
        detail: e.detail ?? e.message,
      });
      this.lastFailureAt = this.now();
      throw this.lastError;
    }
  }

  /** Builds the authorization URL for the code + PKCE (S256) flow. */
  async authorizationUrl(p: {
    scope: string;
    state: string;
    nonce: string;
    codeChallenge: string;
    prompt?: string;
    loginHint?: string;
  }): Promise<URL> {
    const as = await this.authorizationServer();
    const url = new URL(as.authorization_endpoint!);
    url.searchParams.set('client_id', this.opts.clientId);
    url.searchParams.set('redirect_uri', this.opts.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', p.scope);
    url.searchParams.set('state', p.state);
    url.searchParams.set('nonce', p.nonce);
    url.searchParams.set('code_challenge', p.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    if (p.prompt) url.searchParams.set('prompt', p.prompt);
    if (p.loginHint) url.searchParams.set('login_hint', p.loginHint);
    return url;
  }

  /**
   * Validates the callback parameters against the expected state, exchanges the code with the
   * PKCE verifier and checks the ID token (iss, aud, nonce, signature via oauth4webapi).
   */
  async exchangeCode(p: { callbackParams: URLSearchParams; state: string; codeVerifier: string; nonce: string }): Promise<TokenSet> {
    const as = await this.authorizationServer();
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, this.client, p.callbackParams, p.state);
    } catch (err) {
      if (err instanceof oauth.AuthorizationResponseError) throw mapIdpError(err, 'token');
      // Checked before any call to the IdP: a wrong `iss` (RFC 9207 mix-up defence) or a malformed
      // response is the request's fault, so 400, not a 502 blaming the IdP.
      throw new InvalidRequest('The authorization response is invalid (unexpected issuer or parameters).', {
        detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
    }
    try {
      const res = await oauth.authorizationCodeGrantRequest(
        as,
        this.client,
        oauth.None(),
        params,
        this.opts.redirectUri,
        p.codeVerifier,
        this.requestOptions('token'),
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, this.client, res, {
        expectedNonce: p.nonce,
        requireIdToken: true,
      });
      return toTokenSet(tokens);
    } catch (err) {
      throw mapIdpError(err, 'token');
    }
  }

  /** RFC 7523 JWT bearer grant (Zitadel service users). */
  async jwtBearerGrant(p: { assertion: string; scope: string; subject: string }): Promise<TokenSet> {
    const as = await this.authorizationServer();
    try {
      const res = await oauth.genericTokenEndpointRequest(
        as,
        { client_id: p.subject },
        oauth.None(),
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
        { assertion: p.assertion, scope: p.scope },
        this.requestOptions('token'),
      );
      return toTokenSet(await oauth.processGenericTokenEndpointResponse(as, { client_id: p.subject }, res));
    } catch (err) {
      throw mapIdpError(err, 'token');
    }
  }

  /** Calls the userinfo endpoint with the caller's access token; 401 from the IdP → InvalidToken. */
  async userinfo(accessToken: string): Promise<Record<string, unknown>> {
    const as = await this.authorizationServer();
    if (!as.userinfo_endpoint) throw new NotConfigured('The identity provider has no userinfo endpoint.');
    try {
      const res = await oauth.userInfoRequest(as, this.client, accessToken, this.requestOptions('userinfo'));
      return { ...(await oauth.processUserInfoResponse(as, this.client, oauth.skipSubjectCheck, res)) };
    } catch (err) {
      throw mapIdpError(err, 'userinfo');
    }
  }

  /** RFC 7662 introspection; returns the raw response object (active true or false). */
  async introspect(token: string, auth: IntrospectionAuth): Promise<Record<string, unknown>> {
    const as = await this.authorizationServer();
    if (!as.introspection_endpoint) throw new NotConfigured('The identity provider has no introspection endpoint.');
    const client: oauth.Client = { client_id: auth.clientId };
    const clientAuth =
      auth.kind === 'basic'
        ? oauth.ClientSecretBasic(auth.clientSecret)
        : oauth.PrivateKeyJwt({ key: auth.privateKey, kid: auth.keyId });
    try {
      const res = await oauth.introspectionRequest(as, client, clientAuth, token, this.requestOptions('introspection'));
      return { ...(await oauth.processIntrospectionResponse(as, client, res)) };
    } catch (err) {
      const e = mapIdpError(err, 'introspection');
      // A 401 here is the *gateway's* credentials being refused, not the caller's token.
      if (e.status === 401) {
        throw new IdpUnavailable('The identity provider refused the gateway introspection credentials.', {
          status: 502,
          detail: e.detail ?? e.message,
        });
      }
      throw e;
    }
  }

  /** RP-initiated logout URL (OIDC RP-Initiated Logout 1.0). */
  async endSessionUrl(p: { idTokenHint?: string; postLogoutRedirectUri: string; state: string }): Promise<URL> {
    const as = await this.authorizationServer();
    if (!as.end_session_endpoint) throw new NotConfigured('The identity provider has no end-session endpoint.');
    const url = new URL(as.end_session_endpoint);
    if (p.idTokenHint) url.searchParams.set('id_token_hint', p.idTokenHint);
    url.searchParams.set('client_id', this.opts.clientId);
    url.searchParams.set('post_logout_redirect_uri', p.postLogoutRedirectUri);
    url.searchParams.set('state', p.state);
    return url;
  }
}

function toTokenSet(t: oauth.TokenEndpointResponse): TokenSet {
  return {
    access_token: t.access_token,
    token_type: t.token_type,
    expires_in: t.expires_in,
    id_token: t.id_token,
    refresh_token: t.refresh_token,
    scope: t.scope,
  };
}

/**
 * Maps oauth4webapi failures by class/code (never by message text, style habit 3). The IdP's
 * `error` code is passed through; its description is logged, not returned, as it may echo input.
 */
export function mapIdpError(err: unknown, endpoint: IdpEndpoint): ZitAuthError {
  if (err instanceof ZitAuthError) return err;
  if (err instanceof oauth.ResponseBodyError) {
    const detail = `${endpoint} answered ${err.status} ${err.error}: ${err.error_description ?? ''}`;
    if (err.status >= 500) return new IdpBadResponse(`The identity provider failed (${endpoint}).`, { detail });
    if (endpoint === 'userinfo' && (err.status === 401 || err.status === 403)) {
      return new InvalidToken('idp_rejected', { detail });
    }
    return new IdpRejected(safeErrorCode(err.error), describeRejection(err.error, endpoint), {
      status: err.status === 401 ? 401 : 400,
      detail,
    });
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const detail = `${endpoint} answered ${err.status} with a WWW-Authenticate challenge`;
    if (endpoint === 'userinfo') return new InvalidToken('idp_rejected', { detail });
    return new IdpRejected('invalid_client', `The identity provider refused the request (${endpoint}).`, { status: 401, detail });
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return new IdpRejected(safeErrorCode(err.error), 'The authorization response was rejected.', { detail: err.error_description });
  }
  if (err instanceof oauth.OperationProcessingError) {
    const detail = `${err.code}: ${err.message}`;
    if (err.code === oauth.RESPONSE_IS_NOT_CONFORM || err.code === oauth.RESPONSE_IS_NOT_JSON) {
      // Non-2xx non-JSON answers (e.g. an HTML 502 page from a proxy).
      const status = (err.cause as Response | undefined)?.status;
      if (endpoint === 'userinfo' && status === 401) {
        return new InvalidToken('idp_rejected', { detail });
      }
    }
    return new IdpBadResponse(`The identity provider answered with an invalid response (${endpoint}).`, { detail, cause: err });
  }
  return new IdpBadResponse(`The identity provider call failed (${endpoint}).`, {
    detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    cause: err,
  });
}

/** IdP error codes are a fixed vocabulary; anything else is replaced so no input is echoed. */
function safeErrorCode(code: string): string {
  return /^[a-z_]{1,40}$/.test(code) ? code : 'invalid_request';
}

function describeRejection(code: string, endpoint: IdpEndpoint): string {
  if (code === 'invalid_grant' && endpoint === 'token') return 'The identity provider rejected the grant (invalid, expired or already used).';
  return `The identity provider rejected the request (${endpoint}: ${safeErrorCode(code)}).`;
}
