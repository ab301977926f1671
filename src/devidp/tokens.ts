/**
 * Access tokens the dev IdP knows about, whatever their origin: JWTs it signed (login flow, jwt-bearer
 * grant, test minting), opaque tokens issued by oidc-provider, and opaque tokens minted here.
 * Userinfo and introspection both resolve tokens through {@link TokenService.resolve}, so they agree.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import type { SigningKeyring } from './keys.ts';
import { epochNow } from './http.ts';

/** Everything introspection/userinfo need to know about a token. */
export interface TokenRecord {
  sub: string;
  clientId: string;
  aud: string[];
  scope: string;
  iat: number;
  exp: number;
  nbf: number;
  jti: string;
  /** Extra claims (roles, …) to echo in introspection. */
  claims: Record<string, unknown>;
}

/** Looks up an opaque token oidc-provider issued (it owns that storage). */
export type ProviderTokenLookup = (token: string) => Promise<TokenRecord | undefined>;

const toArray = (aud: unknown): string[] => (Array.isArray(aud) ? aud.map(String) : typeof aud === 'string' ? [aud] : []);
const STANDARD = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope']);

export class TokenService {
  readonly #opaque = new Map<string, TokenRecord>();
  /** JWT access tokens carry no scope claim, yet introspection must return one: remember it by jti. */
  readonly #jwtScopes = new Map<string, string>();

  constructor(
    private readonly keyring: SigningKeyring,
    private readonly providerLookup: ProviderTokenLookup,
  ) {}

  static jti(): string {
    return randomUUID();
  }

  /**
   * Signs an access token the way Zitadel does: `typ: JWT`, RS256, the active kid. A `kid` naming a
   * known key signs with that key; an unknown kid is only written to the header (tests use it to
   * fake tokens from keys the JWKS never listed).
   */
  async signJwt(payload: Record<string, unknown>, opts: { kid?: string; header?: Record<string, unknown>; scope?: string } = {}): Promise<string> {
    const key = (opts.kid && this.keyring.find(opts.kid)) || this.keyring.active();
    const header = { alg: 'RS256', typ: 'JWT', kid: opts.kid ?? key.kid, ...opts.header };
    if (typeof payload.jti === 'string' && opts.scope !== undefined) this.#jwtScopes.set(payload.jti, opts.scope);
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader(header as { alg: string })
      .sign(key.privateKey);
  }

  /** Remembers the scope of a JWT the provider signed (called from its JWT customizer). */
  rememberScope(jti: string, scope: string): void {
    this.#jwtScopes.set(jti, scope);
  }

  /** Stores an opaque token and returns its value (random, not a JWT). */
  mintOpaque(record: TokenRecord): string {
    const value = randomBytes(32).toString('base64url');
    this.#opaque.set(value, record);
    return value;
  }

  /** Revokes a token minted here; false when it is not ours (let the provider try). */
  revokeOpaque(value: string): boolean {
    return this.#opaque.delete(value);
  }

  /** The record behind a valid (signature, expiry, known) token, or undefined. */
  async resolve(token: string): Promise<TokenRecord | undefined> {
    const record = token.split('.').length === 3 ? await this.#resolveJwt(token) : await this.#resolveOpaque(token);
    if (!record) return undefined;
    const t = epochNow();
    if (record.exp <= t || record.nbf > t + 1) return undefined;
    return record;
  }

  async #resolveOpaque(token: string): Promise<TokenRecord | undefined> {
    return this.#opaque.get(token) ?? (await this.providerLookup(token));
  }

  async #resolveJwt(token: string): Promise<TokenRecord | undefined> {
    try {
      const { kid, alg } = decodeProtectedHeader(token);
      const key = typeof kid === 'string' ? this.keyring.find(kid) : undefined;
      if (!key || !key.published || alg !== 'RS256') return undefined;
      const { payload } = await compactVerify(token, key.publicKey);
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      const jti = String(claims.jti ?? '');
      return {
        sub: String(claims.sub ?? ''),
        clientId: String(claims.client_id ?? ''),
        aud: toArray(claims.aud),
        scope: this.#jwtScopes.get(jti) ?? (typeof claims.scope === 'string' ? claims.scope : 'openid profile email'),
        iat: Number(claims.iat ?? 0),
        exp: Number(claims.exp ?? 0),
        nbf: Number(claims.nbf ?? claims.iat ?? 0),
        jti,
        claims: Object.fromEntries(Object.entries(claims).filter(([k]) => !STANDARD.has(k))),
      };
    } catch {
      return undefined;
    }
  }
}
