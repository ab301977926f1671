/**
 * Opaque-token introspection as the validator sees it: a function from token to the raw RFC 7662
 * answer, with the gateway's API-application credentials (a key file for private_key_jwt, or
 * client id/secret for Basic) bound in. undefined when introspection is not configured or the
 * key file is unusable — opaque tokens are then refused with a 401 saying what to set.
 */
import type { Config } from '../config/index.ts';
import { ZitAuthError } from '../errors.ts';
import type { IdpClient, IntrospectionAuth } from '../idp/index.ts';
import { loadApplicationKey } from '../m2m/keyfile.ts';
import type { Logger } from '../observability/logger.ts';

export type Introspect = (token: string) => Promise<Record<string, unknown>>;

export async function createIntrospector(deps: { config: Config; idp: IdpClient; logger: Logger }): Promise<Introspect | undefined> {
  const c = deps.config.introspection;
  if (!c) return undefined;
  let auth: IntrospectionAuth;
  if (c.kind === 'basic') auth = { kind: 'basic', clientId: c.clientId, clientSecret: c.clientSecret };
  else {
    try {
      const key = await loadApplicationKey(c.keyFile);
      auth = { kind: 'private_key_jwt', clientId: key.clientId, keyId: key.keyId, privateKey: key.privateKey };
    } catch (err) {
      deps.logger.error('introspection disabled: the API application key file is unusable', {
        code: err instanceof ZitAuthError ? err.code : 'SERVER_ERROR',
        detail: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }
  return (token) => deps.idp.introspect(token, auth);
}
