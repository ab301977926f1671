/**
 * A Zitadel-shaped development OIDC provider, built on oidc-provider 9.
 *
 * Used as "the IdP" by the test suite and embedded in the binary by `zitauth dev`. It speaks Zitadel's
 * paths and token shapes (see /work/shared/docs/zitadel.md): authorization code + PKCE with a plain
 * login form and no consent screen, JWT or opaque access tokens, the JWT profile grant for a generated
 * service user, introspection for a generated API app, userinfo, revocation and end_session.
 *
 * Audiences: a user's access token carries `[clientId, apiApp.clientId, projectId]` (every app of the
 * project plus the project, as Zitadel does), so the API app can introspect it. A service user's token
 * carries `[username]` (its JWT-profile client id; `[userId]` with `jwtProfileClient: 'userId'`), or
 * `[projectId]` when the scope `urn:zitadel:iam:org:project:id:{projectId}:aud` was requested — only
 * then is it active on introspection, and with `urn:zitadel:iam:org:projects:roles` as well it carries
 * the per-project roles claim.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server as NodeServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { DevIdpStore } from './adapter.ts';
import { BackChannelLogout } from './backchannel.ts';
import { userAccessClaims, userAudience, type Realm } from './claims.ts';
import { CookieKeys } from './cookie-keys.ts';
import { FrontServer } from './front.ts';
import { rsaKeyPair, SigningKeyring, zitadelId } from './keys.ts';
import { buildProvider, ID_TOKEN_TTL_SEC } from './provider.ts';
import { createRouter } from './router.ts';
import { splitScope } from './scopes.ts';
import { TokenService, type TokenRecord } from './tokens.ts';
import type { DevIdp, DevIdpOptions, DevIdpUser } from './types.ts';
import { epochNow } from './http.ts';

export type {
  BackChannelDelivery,
  DevIdp,
  DevIdpOptions,
  DevIdpUser,
  FaultMode,
  ZitadelApplicationKey,
  ZitadelServiceUserKey,
} from './types.ts';

/** Credentials of the default demo user. */
export const DEMO_USER: DevIdpUser = {
  sub: '300000000000000010',
  username: 'demo@zitauth.localhost',
  password: 'Password1!',
  email: 'demo@zitauth.localhost',
  name: 'Demo User',
  givenName: 'Demo',
  familyName: 'User',
  roles: ['admin'],
};

/** Roles granted to the generated service user (visible with the project audience scope). */
export const SERVICE_USER_ROLES = ['m2m'];

/** Listens on the given port (0 = ephemeral); resolves once the Node listener is bound. */
function listenNode(server: NodeServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Starts a dev IdP; `close()` it when done. */
export async function startDevIdp(opts: DevIdpOptions): Promise<DevIdp> {
  const log = opts.log ?? (() => {});
  const users = opts.users ?? [DEMO_USER];
  const host = opts.host ?? '127.0.0.1';
  const clientId = opts.clientId ?? 'zitauth-spa';
  const projectId = opts.projectId ?? '300000000000000001';
  const ttl = opts.accessTokenTtlSec ?? 43_200;
  const counts: Record<string, number> = {};

  const keyring = new SigningKeyring();
  const [, suPair, appPair] = await Promise.all([keyring.rotate(), rsaKeyPair(), rsaKeyPair()]);

  const serviceUserKey = {
    type: 'serviceaccount' as const,
    keyId: zitadelId(),
    key: suPair.pkcs1Pem,
    expirationDate: '9999-12-31T23:59:59Z',
    userId: '300000000000000004',
  };
  const appId = '300000000000000003';
  const apiApp = {
    clientId: `${appId}@zitauth`,
    clientSecret: randomBytes(24).toString('base64url'),
    key: { type: 'application' as const, keyId: zitadelId(), key: appPair.pkcs1Pem, appId, clientId: `${appId}@zitauth` },
  };
  const serviceUser = {
    userId: serviceUserKey.userId,
    username: opts.serviceUserName ?? 'zitauth-m2m',
    keyId: serviceUserKey.keyId,
    publicKey: suPair.publicKey,
    roles: SERVICE_USER_ROLES,
  };

  // The front listener comes first: the issuer must contain its (possibly ephemeral) port.
  let route: (req: Request) => Promise<Response> = async () => new Response(null, { status: 503 });
  const front = new FrontServer(host, opts.port ?? 0, (req) => route(req), counts);
  front.start();
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${front.port}`;

  const realm: Realm = {
    issuer,
    projectId,
    orgId: opts.orgId ?? '300000000000000000',
    orgDomain: opts.orgDomain ?? 'zitauth.localhost',
    clientId,
    apiClientId: apiApp.clientId,
  };

  let provider: Provider;
  let callback: ReturnType<Provider['callback']>;
  const store = new DevIdpStore();
  const tokens = new TokenService(keyring, async (value): Promise<TokenRecord | undefined> => {
    try {
      const at = await provider.AccessToken.find(value);
      if (!at?.accountId) return undefined;
      return {
        sub: at.accountId,
        clientId: at.clientId ?? clientId,
        aud: userAudience(realm, splitScope(at.scope)),
        scope: at.scope ?? '',
        iat: at.iat ?? 0,
        exp: at.exp ?? 0,
        nbf: at.iat ?? 0,
        jti: at.jti,
        claims: {},
      };
    } catch {
      return undefined;
    }
  });

  const cookieKeys = [randomBytes(32).toString('base64url')];
  const rebuild = () => {
    provider = buildProvider({
      realm,
      users,
      redirectUris: opts.redirectUris,
      userAccessTokenFormat: opts.userAccessTokenFormat ?? 'jwt',
      accessTokenTtlSec: ttl,
      cookieKeys,
      store,
      keyring,
      tokens,
      log,
    });
    callback = provider.callback();
  };
  rebuild();

  const back = createServer((req, res) => callback(req, res));
  let backPort: number;
  try {
    backPort = await listenNode(back);
  } catch (err) {
    await front.close();
    throw err;
  }

  const backChannel = new BackChannelLogout({
    issuer,
    tokens,
    counts,
    log,
    tokenTtlSec: 15 * 60,
    maxAttempts: 3,
    retryDelaysMs: opts.backChannelLogoutRetryDelaysMs ?? [1000, 16_000],
    timeoutMs: 5000,
  });
  const introspection = { realm, apiApp: { ...apiApp, keyId: apiApp.key.keyId, publicKey: appPair.publicKey }, tokens, users, serviceUser };
  route = createRouter({
    backend: () => `http://127.0.0.1:${backPort}`,
    keyring,
    tokens,
    counts,
    issuer,
    projectId,
    redirectUris: opts.redirectUris,
    introspection,
    jwtBearer: {
      realm,
      serviceUser,
      tokens,
      format: opts.serviceUserAccessTokenFormat ?? 'jwt',
      ttlSec: ttl,
      client: opts.jwtProfileClient ?? 'username',
      errors: opts.jwtProfileErrors ?? 'v2.71',
    },
    endSession: {
      realm,
      keyring,
      store,
      cookieKeys: new CookieKeys(cookieKeys),
      postLogoutRedirectUris: opts.postLogoutRedirectUris ?? [],
      backChannel,
      log,
    },
    tokenEndpoint: {
      store,
      realm,
      users,
      tokens,
      idTokenTtlSec: ID_TOKEN_TTL_SEC,
      refreshLocks: new Map(),
      ...(opts.backChannelLogoutUri ? { backChannel: { service: backChannel, uri: opts.backChannelLogoutUri } } : {}),
    },
  });
  log(`devidp: listening on ${issuer}`);

  return {
    issuer,
    port: front.port,
    clientId,
    projectId,
    serviceUserKey,
    serviceUser: { userId: serviceUser.userId, username: serviceUser.username },
    apiApp,
    counts,
    resetCounts: () => {
      for (const k of Object.keys(counts)) delete counts[k];
    },
    mintAccessToken: async (o = {}) => {
      const user = users[0] ?? DEMO_USER;
      const iat = epochNow();
      const base = userAccessClaims(user, realm, { iat, exp: iat + (o.expiresInSec ?? ttl), jti: TokenService.jti() });
      return tokens.signJwt({ ...base, ...o.claims }, { kid: o.kid, header: o.header, scope: 'openid profile email' });
    },
    mintOpaqueToken: async (o = {}) => {
      const sub = o.sub ?? users[0]?.sub ?? DEMO_USER.sub;
      const isService = sub === serviceUser.userId;
      const iat = epochNow();
      const serviceClient = (opts.jwtProfileClient ?? 'username') === 'username' ? serviceUser.username : serviceUser.userId;
      return tokens.mintOpaque({
        sub,
        clientId: isService ? serviceClient : clientId,
        aud: o.aud ?? (isService ? [serviceClient] : userAudience(realm)),
        scope: 'openid profile email',
        iat,
        exp: iat + (o.expiresInSec ?? ttl),
        nbf: iat,
        jti: TokenService.jti(),
        claims: o.claims ?? {},
      });
    },
    rotateSigningKey: async () => {
      const kid = await keyring.rotate();
      rebuild();
      log('devidp: signing key rotated');
      return kid;
    },
    removeKey: (kid) => {
      if (keyring.unpublish(kid)) rebuild();
    },
    activeKid: () => keyring.active().kid,
    setFault: async (mode) => {
      await front.setFault(mode);
      log(`devidp: fault mode ${mode ?? 'off'}`);
    },
    logoutUser: async (sub) => {
      const started = store.sessionIdsOf(sub).flatMap((id) => {
        const ended = store.endSession(id);
        return ended?.uid ? backChannel.sessionEnded(ended.uid) : [];
      });
      log(`devidp: sessions of a user ended (${started.length} back-channel notification(s))`);
      await backChannel.settled();
      return started;
    },
    backChannelLogouts: backChannel.deliveries,
    backChannelSettled: () => backChannel.settled(),
    close: async () => {
      await front.close();
      await new Promise<void>((resolve) => {
        back.close(() => resolve());
        back.closeAllConnections?.();
      });
    },
  };
}
