/**
 * oidc-provider configured to look like Zitadel: Zitadel's paths, PKCE (S256) required, no consent
 * screen, JWT access tokens with Zitadel's header and claims, our own login form.
 *
 * The provider is rebuilt (cheaply) after every key rotation, because its keystore is fixed at
 * construction; state lives in the shared {@link DevIdpStore}, so sessions and tokens survive.
 */
import type { Configuration, KoaContextWithOIDC, Grant } from 'oidc-provider';
import type { DevIdpStore } from './adapter.ts';
import { CookieKeys } from './cookie-keys.ts';
import { InvalidTarget, Provider } from './oidc-provider.ts';
import { profileClaims, userAccessClaims, type Realm } from './claims.ts';
import type { SigningKeyring } from './keys.ts';
import { loginPage } from './login-page.ts';
import { isAllowedScope, splitScope } from './scopes.ts';
import { TokenService } from './tokens.ts';
import type { DevIdpUser } from './types.ts';
import { epochNow } from './http.ts';

export const PATHS = {
  authorization: '/oauth/v2/authorize',
  token: '/oauth/v2/token',
  jwks: '/oauth/v2/keys',
  introspection: '/oauth/v2/introspect',
  revocation: '/oauth/v2/revoke',
  userinfo: '/oidc/v1/userinfo',
  end_session: '/oidc/v1/end_session',
} as const;

/** Where our login form lives (Zitadel's login UI is under /ui/login too). */
export const LOGIN_PATH = '/ui/login/';

const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** Zitadel's default ID token lifetime (12 h). */
export const ID_TOKEN_TTL_SEC = 43_200;
/** A Zitadel reserved scope that Zitadel keeps (unknown `urn:zitadel:iam:` scopes are dropped too). */
const isZitadelScope = (s: string) => s.startsWith('urn:zitadel:iam:') && isAllowedScope(s);

export interface ProviderSettings {
  realm: Realm;
  users: DevIdpUser[];
  redirectUris: string[];
  userAccessTokenFormat: 'jwt' | 'opaque';
  accessTokenTtlSec: number;
  cookieKeys: string[];
  store: DevIdpStore;
  keyring: SigningKeyring;
  tokens: TokenService;
  log: (line: string) => void;
}

/** The resource indicator standing for "the project"; every user access token is issued for it. */
export const projectResource = (projectId: string) => `urn:zitadel:iam:org:project:id:${projectId}`;

/** Scopes to grant: known OIDC scopes plus any Zitadel scope; unknown ones are dropped silently. */
function grantableScopes(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter((s) => OIDC_SCOPES.includes(s) || isZitadelScope(s)))];
}

/** Zitadel's urn scopes seen anywhere in the current request (authorize params, code, refresh token). */
function zitadelScopesInPlay(ctx: KoaContextWithOIDC): string[] {
  const { params, entities } = ctx.oidc;
  const sources = [params?.scope, entities.AuthorizationCode?.scope, entities.RefreshToken?.scope];
  return sources.flatMap((s) => (typeof s === 'string' ? s.split(' ').filter(isZitadelScope) : []));
}

/**
 * Grants everything requested (Zitadel asks no consent for first-party apps). Extends the session's
 * existing grant so that a later request for more scopes does not trigger a consent prompt either.
 */
async function autoGrant(
  provider: Provider,
  a: { clientId: string; accountId: string; scope: string | undefined; grantId: string | undefined; resource: string },
): Promise<Grant> {
  const existing = a.grantId ? await provider.Grant.find(a.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ clientId: a.clientId, accountId: a.accountId });
  const scopes = grantableScopes(a.scope);
  grant.addOIDCScope(scopes.filter((s) => OIDC_SCOPES.includes(s)).join(' '));
  grant.addResourceScope(a.resource, scopes.join(' '));
  await grant.save();
  return grant;
}

async function readForm(ctx: { req: AsyncIterable<unknown> }): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function buildProvider(s: ProviderSettings): Provider {
  const { realm } = s;
  const resource = projectResource(realm.projectId);
  const findUser = (sub: string) => s.users.find((u) => u.sub === sub);

  const config: Configuration = {
    adapter: s.store.factory(),
    clients: [
      {
        client_id: realm.clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        redirect_uris: s.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: s.keyring.providerJwks() as Configuration['jwks'],
    cookies: { keys: new CookieKeys(s.cookieKeys) },
    routes: PATHS,
    scopes: OIDC_SCOPES,
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    // Profile claims in the ID token, like a Zitadel app with "User Info inside ID Token" enabled.
    conformIdTokenClaims: false,
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: () => true },
    clientBasedCORS: () => true,
    ttl: {
      AccessToken: s.accessTokenTtlSec,
      AuthorizationCode: 60,
      IdToken: ID_TOKEN_TTL_SEC,
      RefreshToken: 30 * 24 * 3600,
      Grant: 30 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
    },
    findAccount: (_ctx, sub) => {
      const user = findUser(sub);
      return user ? { accountId: user.sub, claims: () => profileClaims(user) as { sub: string } } : undefined;
    },
    loadExistingGrant: async (ctx) => {
      const { account, client, session, params, result } = ctx.oidc;
      if (!account || !client) return undefined;
      return autoGrant(ctx.oidc.provider, {
        clientId: client.clientId,
        accountId: account.accountId,
        scope: params?.scope as string | undefined,
        grantId: result?.consent?.grantId ?? session?.grantIdFor(client.clientId),
        resource,
      });
    },
    interactions: { url: (_ctx, interaction) => `${LOGIN_PATH}${interaction.uid}` },
    // zitadel/oidc `AuthRequestError` without a redirect target: 400, the description as plain text.
    renderError: (ctx, out) => {
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = `${out.error}${out.error_description ? `: ${out.error_description}` : ''}`;
    },
    features: {
      devInteractions: { enabled: false },
      // Introspection is answered in front of the provider (introspection.ts).
      introspection: { enabled: false },
      // A client revokes only its own tokens (the provider's default policy, stated so it stays quiet).
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      // end_session is answered in front of the provider (end-session.ts).
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => {
          if (indicator !== resource) throw new InvalidTarget();
          return {
            scope: [...OIDC_SCOPES, ...zitadelScopesInPlay(ctx)].join(' '),
            audience: realm.projectId,
            accessTokenTTL: s.accessTokenTtlSec,
            accessTokenFormat: s.userAccessTokenFormat,
            jwt: { sign: { alg: 'RS256', kid: s.keyring.active().kid } },
          };
        },
      },
    },
    formats: {
      customizers: {
        // Replace oidc-provider's at+jwt shape by Zitadel's: typ JWT, project-wide aud, roles, no scope.
        jwt: (_ctx, token, jwt) => {
          const t = token as unknown as { accountId?: string; scope?: string };
          const user = t.accountId ? findUser(t.accountId) : undefined;
          if (!user) return;
          // Timestamps and jti come from the provider's draft payload (the token object lacks them here).
          const draft = jwt.payload as { iat?: number; exp?: number; jti?: string };
          const iat = draft.iat ?? epochNow();
          const exp = draft.exp ?? iat + s.accessTokenTtlSec;
          const jti = draft.jti ?? TokenService.jti();
          jwt.header = { typ: 'JWT' };
          jwt.payload = userAccessClaims(user, realm, { iat, exp, jti }, splitScope(t.scope));
          s.tokens.rememberScope(jti, t.scope ?? '');
        },
      },
    },
  };

  const provider = new Provider(realm.issuer, config);

  // Our login form, as Koa middleware so it can use the provider's interaction API directly.
  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith(LOGIN_PATH)) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const action = `${LOGIN_PATH}${details.uid}`;
    const clientId = String(details.params.client_id ?? '');
    const finish = async (result: Parameters<Provider['interactionResult']>[2]) => {
      const url = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      ctx.redirect(url);
      ctx.status = 303;
    };

    if (details.prompt.name === 'consent') {
      // Only reached with prompt=consent; grant silently like Zitadel does for its own apps.
      const grant = await autoGrant(provider, {
        clientId,
        accountId: String(details.session?.accountId),
        scope: details.params.scope as string | undefined,
        grantId: details.grantId,
        resource,
      });
      return finish({ consent: { grantId: grant.jti } });
    }

    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method === 'GET') {
      ctx.body = loginPage({ action, clientId, loginHint: details.params.login_hint as string | undefined });
      return;
    }
    if (ctx.method !== 'POST') {
      ctx.status = 405;
      return;
    }
    const form = await readForm(ctx);
    const username = form.get('username') ?? '';
    const user = s.users.find((u) => u.username === username && u.password === form.get('password'));
    if (!user) {
      s.log('devidp: login failed (unknown user or wrong password)');
      ctx.body = loginPage({ action, clientId, loginHint: username, error: 'Username or password is incorrect.' });
      return;
    }
    s.log(`devidp: login ${user.username}`);
    return finish({ login: { accountId: user.sub } });
  });

  return provider;
}
