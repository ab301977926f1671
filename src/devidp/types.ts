/** Public types of the development IdP (re-exported from index.ts). */
import type { BackChannelDelivery } from './backchannel.ts';

export type { BackChannelDelivery } from './backchannel.ts';

/** A user that can sign in on the dev IdP's login form. */
export interface DevIdpUser {
  sub: string;
  username: string;
  password: string;
  email: string;
  name: string;
  givenName?: string;
  familyName?: string;
  roles: string[];
}

export interface DevIdpOptions {
  /** 0 (default) = ephemeral. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** The user-agent (PKCE, public) app; default 'zitauth-spa'. */
  clientId?: string;
  /** Exact registered callback URIs. */
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** Default '300000000000000001'. */
  projectId?: string;
  /** Organisation in the roles claim map; defaults '300000000000000000' / 'zitauth.localhost'. */
  orgId?: string;
  orgDomain?: string;
  /** Tokens from the login flow; default 'jwt'. */
  userAccessTokenFormat?: 'jwt' | 'opaque';
  /** Tokens from the jwt-bearer grant; default 'jwt'. */
  serviceUserAccessTokenFormat?: 'jwt' | 'opaque';
  /** Default: one demo user 'demo@zitauth.localhost' / 'Password1!' with roles ['admin']. */
  users?: DevIdpUser[];
  /** Default 43200 (Zitadel's 12 h). */
  accessTokenTtlSec?: number;
  /** Default: silent. Never receives tokens, codes or secrets. */
  log?: (line: string) => void;
  /** Username of the generated service user (its JWT-profile client id, see `jwtProfileClient`); default 'zitauth-m2m'. */
  serviceUserName?: string;
  /**
   * Who the OAuth client of the JWT-profile grant is, i.e. the `client_id` (and, without the audience
   * scope, the `aud`) of the service user's tokens and the `aud`/`azp` of its ID token:
   * - `'username'` (default): Zitadel v2.62 and later, v3, v4 — `clientCredentialsClient{clientID:
   *   user.Username}` (`internal/api/oidc/token_jwt_profile.go`, since commit 58a7eb1, #8580);
   * - `'userId'`: older Zitadel (v2.61 and before), where it was the assertion's subject, the userId.
   */
  jwtProfileClient?: 'username' | 'userId';
  /**
   * The answer to a bad JWT-profile assertion (bad signature, unknown key, wrong `aud`, expired…):
   * - `'v2.71'` (default): 500 `{"error":"server_error","error_description":"Errors.Internal"}` —
   *   what every released Zitadel answers up to and including v4.13.1 (the error leaves
   *   `verifyJWTProfile` untyped and `internal/api/oidc/error.go` maps it to Errors.Internal);
   * - `'current'`: 400 `{"error":"invalid_grant","error_description":"invalid assertion"}` — Zitadel's
   *   main branch since commit 5344a7f (#11933, April 2026), not yet in a release tag.
   */
  jwtProfileErrors?: 'v2.71' | 'current';
  /**
   * The SPA app's back-channel logout URI (Zitadel's OIDC app setting `backChannelLogoutUri`). When
   * set, each code exchange registers the login session, and when it ends (end_session,
   * {@link DevIdp.logoutUser}) a logout token is POSTed there as Zitadel v4 does (see backchannel.ts).
   */
  backChannelLogoutUri?: string;
  /**
   * Waits between back-channel delivery attempts (3 attempts at most, as Zitadel's
   * `OIDC.BackChannelLogout.MaxAttempts`); default [1000, 16000] (the queue's attempt⁴-seconds backoff).
   */
  backChannelLogoutRetryDelaysMs?: number[];
}

/** A service-user key file as Zitadel's console downloads it (`key` is PKCS#1 PEM). */
export interface ZitadelServiceUserKey {
  type: 'serviceaccount';
  keyId: string;
  key: string;
  expirationDate: string;
  userId: string;
}

/** An API-application key file as Zitadel's console downloads it (`key` is PKCS#1 PEM). */
export interface ZitadelApplicationKey {
  type: 'application';
  keyId: string;
  key: string;
  appId: string;
  clientId: string;
}

export type FaultMode = 'refuse' | 'hang' | null;

export interface DevIdp {
  /** e.g. http://127.0.0.1:PORT (no trailing slash). */
  issuer: string;
  port: number;
  clientId: string;
  projectId: string;
  /** A generated service user and its key (PKCS#1 PEM, like Zitadel's console download). */
  serviceUserKey: ZitadelServiceUserKey;
  /** API app for introspection (Basic or private_key_jwt). */
  apiApp: { clientId: string; clientSecret: string; key: ZitadelApplicationKey };
  /** The generated service user: `userId` (its key file's) and `username` (its JWT-profile client id). */
  serviceUser: { userId: string; username: string };
  /**
   * Requests received per path, plus `token:<grant_type>` for the token endpoint, and
   * `backchannel_logout` / `backchannel_logout:<status>` per back-channel delivery attempt (status 0:
   * no answer).
   */
  counts: Record<string, number>;
  resetCounts(): void;
  /** Sign an access token exactly like the IdP does (Zitadel shape), for tests: override claims, kid, header, exp. */
  mintAccessToken(opts?: {
    claims?: Record<string, unknown>;
    kid?: string;
    expiresInSec?: number;
    header?: Record<string, unknown>;
  }): Promise<string>;
  /** Mint an opaque access token known to introspection/userinfo (for a user or service user). */
  mintOpaqueToken(opts?: {
    sub?: string;
    aud?: string[];
    claims?: Record<string, unknown>;
    expiresInSec?: number;
  }): Promise<string>;
  /** Key rotation: add a new signing key which becomes the active one (JWKS lists old + new); returns its kid. */
  rotateSigningKey(): Promise<string>;
  /** Drop a key from the JWKS (a retired key). */
  removeKey(kid: string): void;
  activeKid(): string;
  /**
   * Fault injection: 'refuse' closes the listener and drops open connections, 'hang' accepts requests
   * but never answers them, null restores normal service on the SAME port.
   */
  setFault(mode: FaultMode): Promise<void>;
  /**
   * Ends every login session of the user at the IdP (as an admin terminating them in Zitadel):
   * their grants go (refresh tokens, opaque access tokens), and with `backChannelLogoutUri` each
   * registered session is notified. Resolves when those deliveries have settled (retries included).
   */
  logoutUser(sub: string): Promise<BackChannelDelivery[]>;
  /** Every back-channel logout notification so far, in order (no tokens recorded). */
  backChannelLogouts: BackChannelDelivery[];
  /** Resolves when no back-channel delivery is in flight (end_session does not wait for them). */
  backChannelSettled(): Promise<void>;
  close(): Promise<void>;
}
