import { existsSync } from 'node:fs';
import { secret, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';

/** How the gateway authenticates to Zitadel's introspection endpoint (opaque tokens). */
export type IntrospectionConfig = {
  introspection:
    | { kind: 'private_key_jwt'; keyFile: string }
    | { kind: 'basic'; clientId: string; clientSecret: string }
    | undefined;
};

export function introspectionSection(env: Env, problems: Problems): IntrospectionConfig {
  const keyFile = env.ZITAUTH_INTROSPECTION_KEY_FILE;
  const clientId = env.ZITAUTH_INTROSPECTION_CLIENT_ID;
  const clientSecret = secret(env, problems, 'ZITAUTH_INTROSPECTION_CLIENT_SECRET', 'ZITAUTH_INTROSPECTION_CLIENT_SECRET_FILE');
  if (keyFile && (clientId || clientSecret)) {
    problems.push('set either ZITAUTH_INTROSPECTION_KEY_FILE or ZITAUTH_INTROSPECTION_CLIENT_ID/_SECRET, not both');
    return { introspection: undefined };
  }
  if (keyFile) {
    if (!existsSync(keyFile)) problems.push(`ZITAUTH_INTROSPECTION_KEY_FILE: file "${keyFile}" does not exist`);
    return { introspection: { kind: 'private_key_jwt', keyFile } };
  }
  if (clientId || clientSecret) {
    if (!clientId) problems.push('ZITAUTH_INTROSPECTION_CLIENT_ID is required with a client secret');
    if (!clientSecret) problems.push('ZITAUTH_INTROSPECTION_CLIENT_SECRET is required with a client id');
    return { introspection: { kind: 'basic', clientId: clientId ?? '', clientSecret: clientSecret ?? '' } };
  }
  return { introspection: undefined };
}
