import * as oauth from 'oauth4webapi';
import { IdpBadResponse, IdpCredentialsRejected, IdpRejected, InvalidRequest, InvalidToken, ZitAuthError } from '../errors.ts';
import type { EndpointOverrides } from '../config/index.ts';
import { createTimedFetch, type IdpCallObserver, type IdpEndpoint } from './http.ts';
import { EndpointResolver, type OptionalEndpoint } from './metadata.ts';

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
  /** A discovery failure that optional endpoints absorbed with Zitadel's fixed paths (warn log). */
  onDiscoveryFallback?: (error: ZitAuthError) => void;
}

const OPTIONAL_FIELD = {
  userinfo: 'userinfo_endpoint',
  introspection: 'introspection_endpoint',
  endSession: 'end_session_endpoint',
  revocation: 'revocation_endpoint',
} as const satisfies Record<OptionalEndpoint, keyof oauth.AuthorizationServer>;

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
  /** The ID token's claims, validated by oauth4webapi (iss, aud, exp, nonce on the code flow). */
  idTokenClaims: Readonly<Record<string, unknown>> | undefined;
}

/** How the gateway authenticates to the introspection endpoint. */
export type IntrospectionAuth =
  | { kind: 'private_key_jwt'; clientId: string; keyId: string; privateKey: CryptoKey }
  | { kind: 'basic'; clientId: string; clientSecret: string };

export class IdpClient {
  private readonly endpoints: EndpointResolver;
  private readonly timedFetch: ReturnType<typeof createTimedFetch>;
  private readonly client: oauth.Client;

  constructor(private readonly opts: IdpClientOptions) {
    this.timedFetch = createTimedFetch({ fetch: opts.fetch, timeoutMs: opts.timeoutMs, observe: opts.observe });
    this.client = { client_id: opts.clientId };
    const issuerUrl = new URL(opts.issuer);
    this.endpoints = new EndpointResolver({
      issuer: opts.issuer,
      overrides: opts.overrides ?? {},
      retrySec: opts.discoveryRetrySec,
      now: opts.now,
      onOptionalFallback: opts.onDiscoveryFallback,
      discover: async () => {
        try {
          const res = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oidc', ...this.requestOptions('discovery') });
          return await oauth.processDiscoveryResponse(issuerUrl, res);
        } catch (err) {
          throw mapIdpError(err, 'discovery');
        }
      },
    });
  }

  /** Options passed to every oauth4webapi request: our timed fetch, http allowed (dev/test IdPs). */
  private requestOptions(endpoint: IdpEndpoint) {
    return {
      [oauth.customFetch]: (url: string, init: RequestInit) => this.timedFetch(endpoint, url, init),
      [oauth.allowInsecureRequests]: true,
    } as const;
  }

  /** True once the required endpoints are known (configured, or discovery worked). */
  get ready(): boolean {
    return this.endpoints.ready;
  }

  /**
   * The required endpoints (authorization, token, JWKS) and the issuer; a discovery failure is a
   * 503 remembered for `discoveryRetrySec`. See {@link EndpointResolver}.
   */
  async metadata(): Promise<IdpMetadata> {
    return (await this.authorizationServer()) as IdpMetadata;
  }

  private authorizationServer(): Promise<oauth.AuthorizationServer> {
    return this.endpoints.required();
  }

  /** The metadata with one optional endpoint resolved (override, discovery, else Zitadel's path). */
  private async withOptional(name: OptionalEndpoint): Promise<oauth.AuthorizationServer> {
    const [as, url] = await Promise.all([this.authorizationServer(), this.endpoints.optional(name)]);
    return { ...as, [OPTIONAL_FIELD[name]]: url };
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

  /**
   * RFC 7523 JWT bearer grant (Zitadel service users). Any id_token in the answer is dropped
   * unread: this grant does not need one, and Zitadel issues it for the service user's
   * *username* as client (aud ⊇ [username], azp = username), which a check against the userId
   * (oauth4webapi's, with `client_id = userId`) refuses — internal/api/oidc/token_jwt_profile.go,
   * zitadel/oidc pkg/op/token.go `NewIDTokenClaims`; zitadel.md "M2M". Older Zitadel names the
   * userId as client; both answers work here.
   */
  async jwtBearerGrant(p: { assertion: string; scope: string; subject: string }): Promise<TokenSet> {
    const as = await this.authorizationServer();
    const client = { client_id: p.subject };
    try {
      const res = await oauth.genericTokenEndpointRequest(
        as,
        client,
        oauth.None(),
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
        { assertion: p.assertion, scope: p.scope },
        this.requestOptions('token'),
      );
      return toTokenSet(await oauth.processGenericTokenEndpointResponse(as, client, await withoutIdToken(res)));
    } catch (err) {
      // Any OAuth error answer to this grant is about the assertion, i.e. the key file: Zitadel
      // v2.71 answers 500 server_error for every failure of this grant (internal/api/oidc/error.go),
      // newer builds 400 invalid_grant (zitadel.md "M2M"). A network failure or a non-OAuth answer
      // (an HTML 502 from a proxy) stays an IdP outage.
      if (err instanceof oauth.ResponseBodyError) {
        throw new IdpCredentialsRejected('service-user', `token answered ${err.status} ${err.error}: ${err.error_description ?? ''}`);
      }
      // oauth4webapi reads error bodies of 4xx answers only; v2.71's is a 500.
      const body = await oauthErrorOf5xx(err);
      if (body !== undefined) throw new IdpCredentialsRejected('service-user', `token answered ${body.status} ${body.error}: ${body.description}`);
      throw mapIdpError(err, 'token');
    }
  }

  /**
   * The refresh_token grant (OIDC Core §12). Zitadel rotates refresh tokens on every use: the
   * answer's `refresh_token` replaces the one sent, which is dead from now on (callers must
   * make sure only one refresh per session runs: see session/refresh.ts). An `invalid_grant`
   * answer (revoked, expired or already used) is an {@link IdpRejected} 400.
   */
  async refresh(refreshToken: string): Promise<TokenSet> {
    const as = await this.authorizationServer();
    try {
      const res = await oauth.refreshTokenGrantRequest(as, this.client, oauth.None(), refreshToken, this.requestOptions('token'));
      return toTokenSet(await oauth.processRefreshTokenResponse(as, this.client, res));
    } catch (err) {
      throw mapIdpError(err, 'token');
    }
  }

  /** Calls the userinfo endpoint with the caller's access token; 401 from the IdP → InvalidToken. */
  async userinfo(accessToken: string): Promise<Record<string, unknown>> {
    const as = await this.withOptional('userinfo');
    try {
      const res = await oauth.userInfoRequest(as, this.client, accessToken, this.requestOptions('userinfo'));
      return { ...(await oauth.processUserInfoResponse(as, this.client, oauth.skipSubjectCheck, res)) };
    } catch (err) {
      throw mapIdpError(err, 'userinfo');
    }
  }

  /** RFC 7662 introspection; returns the raw response object (active true or false). */
  async introspect(token: string, auth: IntrospectionAuth): Promise<Record<string, unknown>> {
    const as = await this.withOptional('introspection');
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
      // Client authentication failing here is the *gateway's* credentials being refused, never
      // the caller's token: Zitadel answers 400 unauthorized_client (bad or unknown credentials)
      // or 400 invalid_client (none, or an unparsable assertion) — zitadel.md "Introspection",
      // zitadel/oidc pkg/op/token_intospection.go — and other servers 401.
      if (e.status === 401 || (e instanceof IdpRejected && (e.error === 'unauthorized_client' || e.error === 'invalid_client'))) {
        throw new IdpCredentialsRejected('introspection', e.detail ?? e.message);
      }
      throw e;
    }
  }

  /** RP-initiated logout URL (OIDC RP-Initiated Logout 1.0). */
  async endSessionUrl(p: { idTokenHint?: string; postLogoutRedirectUri: string; state: string }): Promise<URL> {
    const url = new URL(await this.endpoints.optional('endSession'));
    if (p.idTokenHint) url.searchParams.set('id_token_hint', p.idTokenHint);
    url.searchParams.set('client_id', this.opts.clientId);
    url.searchParams.set('post_logout_redirect_uri', p.postLogoutRedirectUri);
    url.searchParams.set('state', p.state);
    return url;
  }
}

/** An OAuth error body (`{"error": …}`) of a 5xx answer oauth4webapi refused as "not conform". */
async function oauthErrorOf5xx(err: unknown): Promise<{ status: number; error: string; description: string } | undefined> {
  if (!(err instanceof oauth.OperationProcessingError) || !(err.cause instanceof Response) || err.cause.status < 500) return undefined;
  try {
    const body = (await err.cause.clone().json()) as { error?: unknown; error_description?: unknown };
    if (typeof body.error !== 'string') return undefined;
    return { status: err.cause.status, error: body.error, description: typeof body.error_description === 'string' ? body.error_description : '' };
  } catch {
    return undefined;
  }
}

/** The same response without its `id_token` member (see {@link IdpClient.jwtBearerGrant}). */
async function withoutIdToken(res: Response): Promise<Response> {
  if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return res;
  let body: unknown;
  try {
    body = await res.clone().json();
  } catch {
    return res;
  }
  if (typeof body !== 'object' || body === null || !('id_token' in body)) return res;
  const { id_token: _dropped, ...rest } = body as Record<string, unknown>;
  return new Response(JSON.stringify(rest), { status: res.status, headers: res.headers });
}

function toTokenSet(t: oauth.TokenEndpointResponse): TokenSet {
  const idTokenClaims = oauth.getValidatedIdTokenClaims(t);
  return {
    idTokenClaims: idTokenClaims === undefined ? undefined : { ...idTokenClaims },
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
