/**
 * The gateway's M2M token source, built from the configuration: the service-user key file, the
 * JWT bearer grant at the IdP, and the {@link TokenBroker} that caches and shares the token. A
 * missing or unusable key file does not stop the gateway: /m2m-token then answers 503 with the
 * reason.
 */
import type { Config } from '../config/index.ts';
import { IdpCredentialsRejected } from '../errors.ts';
import type { IdpClient } from '../idp/index.ts';
import type { Logger } from '../observability/logger.ts';
import { signAssertion } from './assertion.ts';
import { DEFAULT_REFRESH_SKEW_SEC, TokenBroker, type TokenResponse } from './broker.ts';
import { sharedTokenSource } from './shared.ts';
import type { Stores } from '../store/types.ts';
import { loadServiceUserKey, type ServiceUserKey } from './keyfile.ts';

export interface M2mService {
  /** undefined when M2M is not configured or the key file is unusable (see `unavailableReason`). */
  broker: TokenBroker | undefined;
  /** The service user's id from the key file (tokens of this user are the gateway's own). */
  serviceUserId: string | undefined;
  unavailableReason: string;
}

export async function createM2mService(deps: {
  config: Config;
  idp: IdpClient;
  logger: Logger;
  now: () => number;
  /** Where replicas share the token (the memory store: this process only). */
  stores: Pick<Stores, 'shared' | 'locks'>;
}): Promise<M2mService> {
  const { config, idp, logger, now } = deps;
  const file = config.serviceAccountFile;
  if (!file) {
    return { broker: undefined, serviceUserId: undefined, unavailableReason: 'M2M tokens are not configured: set SERVICE_ACCOUNT_FILE to a Zitadel service-user key file.' };
  }
  let key: ServiceUserKey;
  try {
    key = await loadServiceUserKey(file);
  } catch (err) {
    logger.error('M2M disabled: the service-user key file is unusable', { detail: err instanceof Error ? err.message : String(err) });
    return { broker: undefined, serviceUserId: undefined, unavailableReason: 'M2M tokens are unavailable: the service-user key file (SERVICE_ACCOUNT_FILE) is missing or invalid.' };
  }
  const fromIdp = async (): Promise<TokenResponse> => {
      const meta = await idp.metadata();
      const assertion = await signAssertion({ privateKey: key.privateKey, keyId: key.keyId, subject: key.userId, audience: meta.issuer, now });
      try {
        const t = await idp.jwtBearerGrant({ assertion, scope: config.m2mScopes, subject: key.userId });
        // oauth4webapi lowercases token_type; clients of the original expect Zitadel's "Bearer".
        const tokenType = t.token_type.toLowerCase() === 'bearer' ? 'Bearer' : t.token_type;
        return { access_token: t.access_token, token_type: tokenType, expires_in: t.expires_in ?? 300 };
      } catch (err) {
        if (err instanceof IdpCredentialsRejected) {
          logger.error(
            `M2M token refused by the identity provider; likely cause: the service-user key in SERVICE_ACCOUNT_FILE (${file}) is revoked, expired, or belongs to another Zitadel instance`,
            { keyId: key.keyId, userId: key.userId, detail: err.detail },
          );
        }
        throw err;
      }
  };
  const broker = new TokenBroker({
    now,
    fetchToken: sharedTokenSource({
      fetchToken: fromIdp,
      shared: deps.stores.shared,
      locks: deps.stores.locks,
      secret: config.cookieSecret,
      id: key.userId,
      // More than the broker's refresh skew (60 s): a replica refreshing takes a fresh token, not
      // the one the others are about to drop.
      minRemainingMs: (DEFAULT_REFRESH_SKEW_SEC + 1) * 1000,
      leaseMs: 3 * config.httpTimeoutMs,
      now,
      onStoreError: (err) => logger.warn('M2M: the shared token store failed; asking the identity provider directly', { detail: err instanceof Error ? err.message : String(err) }),
    }),
  });
  return { broker, serviceUserId: key.userId, unavailableReason: '' };
}
