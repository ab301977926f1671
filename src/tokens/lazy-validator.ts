/**
 * The validator needs the JWKS URI, which may come from discovery, yet the gateway must start
 * while Zitadel is down. {@link LazyValidator} builds the validator on first use (retrying
 * through the IdP client's own discovery back-off) and then stays out of the hot path.
 */
import type { JwtShaped, OpaqueShaped } from './format.ts';
import type { Claims } from './introspection.ts';
import type { JwksCache } from './jwks.ts';
import type { TokenValidator } from './validator.ts';

/** What /readyz reports: the endpoints are known and a key set is loaded. */
export interface Readiness {
  discovery: boolean;
  jwks: boolean;
}

export class LazyValidator {
  current: TokenValidator | undefined;
  #jwks: JwksCache | undefined;
  #building: Promise<TokenValidator> | undefined;

  constructor(
    private readonly build: () => Promise<{ validator: TokenValidator; jwks: JwksCache }>,
    private readonly endpointsReady: () => boolean,
  ) {}

  /** The key set behind the validator, once built (benchmarks serve single layers with it). */
  get jwks(): JwksCache | undefined {
    return this.#jwks;
  }

  /** Synchronous cache peek; undefined until built or on a miss. */
  cached(token: string): Claims | undefined {
    return this.current?.cached(token);
  }

  /** Any token; checks length and shape itself. */
  validate(token: string): Promise<Claims> {
    if (this.current) return this.current.validate(token);
    return this.get().then((v) => v.validate(token));
  }

  /** A JWT-shaped token: synchronous unless the validator must be built or a JWKS fetched. */
  validateJwt(token: JwtShaped): Claims | Promise<Claims> {
    if (this.current) return this.current.validateJwt(token);
    return this.get().then((v) => v.validateJwt(token));
  }

  validateOpaque(token: OpaqueShaped): Promise<Claims> {
    if (this.current) return this.current.validateOpaque(token);
    return this.get().then((v) => v.validateOpaque(token));
  }

  get(): Promise<TokenValidator> {
    if (this.current) return Promise.resolve(this.current);
    this.#building ??= this.build()
      .then(({ validator, jwks }) => {
        this.#jwks = jwks;
        return (this.current = validator);
      })
      .finally(() => (this.#building = undefined));
    return this.#building;
  }

  /**
   * Builds the validator if needed and makes sure a key set is loaded (refreshing a stale one),
   * which also warms both up for the first request. Never throws: failures are `false`s.
   */
  async readiness(): Promise<Readiness> {
    const checks: Readiness = { discovery: false, jwks: false };
    try {
      await this.get();
    } catch {
      return checks;
    }
    checks.discovery = this.endpointsReady();
    const jwks = this.#jwks!;
    if (!jwks.isFresh()) await jwks.refresh().catch(() => undefined);
    // A stale set that could not be refreshed still validates tokens signed with known keys.
    checks.jwks = jwks.ready;
    return checks;
  }
}
