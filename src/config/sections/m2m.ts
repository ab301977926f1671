import { createHash } from 'node:crypto';
import { list, readFile, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';
import type { TokensConfig } from './tokens.ts';

/** API key accepted by /api/v1/m2m-token; kept as a SHA-256 digest either way. */
export interface ApiKeyDigest {
  readonly sha256: Uint8Array;
}

/** The gateway's own service user and who may ask for its tokens. */
export interface M2mConfig {
  serviceAccountFile: string | undefined;
  m2mScopes: string;
  m2mApiKeys: ApiKeyDigest[];
}

/**
 * The default M2M scope. `openid` is not asked for: Zitadel does not need it for the JWT profile
 * grant (zitadel/oidc pkg/op/auth_request.go `ValidateAuthReqScopes` only refuses an empty scope)
 * and with it returns an id_token for the service user's *username* that a client checking it
 * against the userId refuses (internal/api/oidc/token_jwt_profile.go; see zitadel.md). With a
 * project, its audience scope puts the project into `aud` and the roles scope adds the service
 * user's roles (Zitadel gives service users roles only with both, internal/api/oidc/userinfo.go).
 */
export function defaultM2mScopes(projectId: string | undefined): string {
  return projectId ? `urn:zitadel:iam:org:project:id:${projectId}:aud urn:zitadel:iam:org:projects:roles` : 'profile';
}

export function m2mSection(env: Env, problems: Problems, tokens: TokensConfig): M2mConfig {
  const keysText = [env.ZITAUTH_M2M_API_KEYS, readFile(problems, 'ZITAUTH_M2M_API_KEYS_FILE', env.ZITAUTH_M2M_API_KEYS_FILE)];
  return {
    serviceAccountFile: env.SERVICE_ACCOUNT_FILE,
    m2mScopes: list(env.ZITAUTH_M2M_SCOPES).join(' ') || defaultM2mScopes(tokens.projectId),
    m2mApiKeys: parseApiKeys(keysText.filter(Boolean).join(','), problems),
  };
}

/** `sha256:<hex>` entries are stored as given; plain keys are hashed at once so no plain key is kept. */
function parseApiKeys(text: string, problems: Problems): ApiKeyDigest[] {
  const out: ApiKeyDigest[] = [];
  for (const entry of list(text)) {
    if (entry.startsWith('sha256:')) {
      const hex = entry.slice(7);
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
        problems.push('ZITAUTH_M2M_API_KEYS: a "sha256:" entry must be followed by 64 hex digits');
        continue;
      }
      out.push({ sha256: Uint8Array.from(Buffer.from(hex, 'hex')) });
    } else {
      if (entry.length < 16) problems.push('ZITAUTH_M2M_API_KEYS: plain keys must be at least 16 characters');
      out.push({ sha256: Uint8Array.from(createHash('sha256').update(entry).digest()) });
    }
  }
  return out;
}
