/** Public types of the development IdP (re-exported from index.ts). */

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
  /** Requests received per path, plus `token:<grant_type>` for the token endpoint. */
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
  close(): Promise<void>;
}
