/**
 * The provisioning steps, each "find by name, else create; converge the settings that matter".
 *
 * Every request shape follows Zitadel's management API v1 (proto `zitadel/management.proto`,
 * JSON names in lowerCamelCase as grpc-gateway renders them). Re-running finds existing objects
 * through the `_search` endpoints, so nothing is created twice.
 *
 * The three updates used here replace the whole record: `PUT …/apps/{id}/oidc_config`,
 * `PUT /projects/{id}` and `PUT /policies/privacy` (zitadel v4.13.1
 * `internal/api/grpc/management/project_application_converter.go` `UpdateOIDCAppConfigRequestToDomain`
 * and `project_converter.go` `ProjectUpdateToCommand` turn every request field, sent or not, into the
 * new value; `internal/command/org_policy_privacy.go` likewise). So each update sends back every field
 * it read, changing only ours, and is sent only when something differs: Zitadel refuses an update
 * that changes nothing (400 "Errors.NoChangesFound" for the OIDC app and, up to v2.71, the project;
 * 400 "Errors.Org.PrivacyPolicy.NotChanged" for the policy).
 */
import { IdpBadResponse, InvalidRequest } from '../errors.ts';
import { type Json, type ManagementClient, isObject, resultList, str } from './client.ts';

const EQUALS = 'TEXT_QUERY_METHOD_EQUALS';

/** What a step did, for the summary log (never contains secrets). */
export type Outcome = 'created' | 'found' | 'updated';

export interface ProjectSpec {
  name: string;
  roles: { key: string; displayName: string }[];
}

/** Finds or creates the project with role assertion on; adds missing roles. */
export async function ensureProject(
  c: ManagementClient,
  spec: ProjectSpec,
): Promise<{ id: string; outcome: Outcome; rolesAdded: string[] }> {
  const found = resultList(
    await c.call('POST', '/projects/_search', {
      query: { limit: 10 },
      queries: [{ nameQuery: { name: spec.name, method: EQUALS } }],
    }),
  ).find((p) => p.name === spec.name);

  let id: string;
  let outcome: Outcome;
  if (found) {
    id = requireId(found.id, 'project');
    outcome = 'found';
    if (found.projectRoleAssertion !== true) {
      // Role assertion puts roles into tokens without extra scopes — the gateway relies on it.
      // Everything else is sent back as read (UpdateProjectRequest replaces the whole record).
      await c.call('PUT', `/projects/${id}`, {
        name: str(found.name) ?? spec.name,
        projectRoleAssertion: true,
        projectRoleCheck: found.projectRoleCheck === true,
        hasProjectCheck: found.hasProjectCheck === true,
        ...(str(found.privateLabelingSetting) ? { privateLabelingSetting: found.privateLabelingSetting } : {}),
      });
      outcome = 'updated';
    }
  } else {
    const res = await c.call('POST', '/projects', {
      name: spec.name,
      projectRoleAssertion: true,
      projectRoleCheck: false,
      hasProjectCheck: false,
    });
    id = requireId(res.id, 'project');
    outcome = 'created';
  }

  const existing = new Set(
    resultList(await c.call('POST', `/projects/${id}/roles/_search`, { query: { limit: 1000 } }))
      .map((r) => str(r.key))
      .filter((k): k is string => k !== undefined),
  );
  const missing = spec.roles.filter((r) => !existing.has(r.key));
  if (missing.length > 0) {
    await c.call('POST', `/projects/${id}/roles/_bulk`, {
      roles: missing.map((r) => ({ key: r.key, displayName: r.displayName })),
    });
  }
  return { id, outcome, rolesAdded: missing.map((r) => r.key) };
}

export interface UserAgentAppSpec {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  devMode: boolean;
  /**
   * The app's back-channel logout URI (`back_channel_logout_uri`, management API v1
   * `UpdateOIDCAppConfig` field 17); undefined leaves whatever the app has.
   */
  backChannelLogoutUri?: string;
  /** Registered when the app has no back-channel logout URI yet (a new app, or an empty field). */
  backChannelLogoutDefault?: string;
}

const RESPONSE_CODE = 'OIDC_RESPONSE_TYPE_CODE';
const OUR_GRANTS = ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE', 'OIDC_GRANT_TYPE_REFRESH_TOKEN'];

/** The OIDC settings ZitAuth needs: public PKCE client, JWT access tokens carrying roles. */
function oidcConfig(spec: UserAgentAppSpec): Json {
  return {
    redirectUris: spec.redirectUris,
    responseTypes: [RESPONSE_CODE],
    grantTypes: OUR_GRANTS,
    appType: 'OIDC_APP_TYPE_USER_AGENT',
    authMethodType: 'OIDC_AUTH_METHOD_TYPE_NONE',
    postLogoutRedirectUris: spec.postLogoutRedirectUris,
    devMode: spec.devMode,
    accessTokenType: 'OIDC_TOKEN_TYPE_JWT',
    accessTokenRoleAssertion: true,
    idTokenRoleAssertion: true,
    idTokenUserinfoAssertion: true,
    ...(spec.backChannelLogoutUri ?? spec.backChannelLogoutDefault ? { backChannelLogoutUri: spec.backChannelLogoutUri ?? spec.backChannelLogoutDefault } : {}),
  };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Every field of `UpdateOIDCAppConfigRequest` as read from the app (`zitadel.app.v1.OIDCConfig`;
 * grpc-gateway omits proto defaults, so an absent field is its zero value / enum 0), in request form.
 */
function oidcUpdateFromRead(cfg: Json): Json {
  return {
    redirectUris: strings(cfg.redirectUris),
    responseTypes: strings(cfg.responseTypes),
    grantTypes: strings(cfg.grantTypes),
    appType: str(cfg.appType) ?? 'OIDC_APP_TYPE_WEB',
    authMethodType: str(cfg.authMethodType) ?? 'OIDC_AUTH_METHOD_TYPE_BASIC',
    postLogoutRedirectUris: strings(cfg.postLogoutRedirectUris),
    devMode: cfg.devMode === true,
    accessTokenType: str(cfg.accessTokenType) ?? 'OIDC_TOKEN_TYPE_BEARER',
    accessTokenRoleAssertion: cfg.accessTokenRoleAssertion === true,
    idTokenRoleAssertion: cfg.idTokenRoleAssertion === true,
    idTokenUserinfoAssertion: cfg.idTokenUserinfoAssertion === true,
    clockSkew: str(cfg.clockSkew) ?? '0s',
    additionalOrigins: strings(cfg.additionalOrigins),
    skipNativeAppSuccessPage: cfg.skipNativeAppSuccessPage === true,
    backChannelLogoutUri: str(cfg.backChannelLogoutUri) ?? '',
    ...(isObject(cfg.loginVersion) ? { loginVersion: cfg.loginVersion } : {}),
  };
}

/**
 * The update to send: the record as read (`read`, from {@link oidcUpdateFromRead}) with ZitAuth's
 * settings applied. Response and grant types are kept and ours added (another grant someone enabled
 * stays enabled); redirect URIs are ours.
 */
function oidcUpdate(read: Json, spec: UserAgentAppSpec): Json {
  // The default only fills an empty field: a URI someone set on purpose stays.
  const want = oidcConfig(read.backChannelLogoutUri === '' ? spec : { ...spec, backChannelLogoutDefault: undefined });
  const union = (have: unknown, ours: string[]) => {
    const kept = strings(have);
    return [...kept, ...ours.filter((x) => !kept.includes(x))];
  };
  return {
    ...read,
    ...want,
    responseTypes: union(read.responseTypes, [RESPONSE_CODE]),
    grantTypes: union(read.grantTypes, OUR_GRANTS),
  };
}

/** Field-by-field equality of two update bodies (arrays in order, as Zitadel's change check compares them). */
function sameJson(a: Json, b: Json): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

async function findApp(c: ManagementClient, projectId: string, name: string): Promise<Json | undefined> {
  return resultList(
    await c.call('POST', `/projects/${projectId}/apps/_search`, {
      query: { limit: 10 },
      queries: [{ nameQuery: { name, method: EQUALS } }],
    }),
  ).find((a) => a.name === name);
}

/** Finds or creates the user-agent (PKCE) app; converges its OIDC settings. */
export async function ensureUserAgentApp(
  c: ManagementClient,
  projectId: string,
  spec: UserAgentAppSpec,
): Promise<{ appId: string; clientId: string; outcome: Outcome }> {
  const found = await findApp(c, projectId, spec.name);
  if (!found) {
    const res = await c.call('POST', `/projects/${projectId}/apps/oidc`, {
      name: spec.name,
      version: 'OIDC_VERSION_1_0',
      ...oidcConfig(spec),
    });
    return { appId: requireId(res.appId, 'app'), clientId: requireId(res.clientId, 'client id'), outcome: 'created' };
  }
  const cfg = found.oidcConfig;
  if (!isObject(cfg)) {
    throw new InvalidRequest(`An application named "${spec.name}" exists but is not an OIDC app; rename it or pass --app-name.`);
  }
  const appId = requireId(found.id, 'app');
  const clientId = requireId(cfg.clientId, 'client id');
  // Same URIs in another order are no change to us, but would be one to Zitadel: keep its order.
  const current = oidcUpdateFromRead(cfg);
  const spec2 = {
    ...spec,
    redirectUris: sameSet(current.redirectUris, spec.redirectUris) ? strings(current.redirectUris) : spec.redirectUris,
    postLogoutRedirectUris: sameSet(current.postLogoutRedirectUris, spec.postLogoutRedirectUris) ? strings(current.postLogoutRedirectUris) : spec.postLogoutRedirectUris,
  };
  const update = oidcUpdate(current, spec2);
  if (sameJson(update, current)) return { appId, clientId, outcome: 'found' };
  await c.call('PUT', `/projects/${projectId}/apps/${appId}/oidc_config`, update);
  return { appId, clientId, outcome: 'updated' };
}

/** Finds or creates the API app (private_key_jwt) used for token introspection. */
export async function ensureApiApp(
  c: ManagementClient,
  projectId: string,
  name: string,
): Promise<{ appId: string; clientId: string; outcome: Outcome }> {
  const method = 'API_AUTH_METHOD_TYPE_PRIVATE_KEY_JWT';
  const found = await findApp(c, projectId, name);
  if (!found) {
    const res = await c.call('POST', `/projects/${projectId}/apps/api`, { name, authMethodType: method });
    return { appId: requireId(res.appId, 'app'), clientId: requireId(res.clientId, 'client id'), outcome: 'created' };
  }
  const cfg = found.apiConfig;
  if (!isObject(cfg)) {
    throw new InvalidRequest(`An application named "${name}" exists but is not an API app; rename it or pass --api-app-name.`);
  }
  const appId = requireId(found.id, 'app');
  const clientId = requireId(cfg.clientId, 'client id');
  if ((cfg.authMethodType ?? 'API_AUTH_METHOD_TYPE_BASIC') === method) return { appId, clientId, outcome: 'found' };
  await c.call('PUT', `/projects/${projectId}/apps/${appId}/api_config`, { authMethodType: method });
  return { appId, clientId, outcome: 'updated' };
}

/** Finds or creates the service (machine) user with JWT access tokens. */
export async function ensureMachineUser(
  c: ManagementClient,
  userName: string,
  displayName: string,
): Promise<{ userId: string; outcome: Outcome }> {
  const found = resultList(
    await c.call('POST', '/users/_search', {
      query: { limit: 10 },
      queries: [{ userNameQuery: { userName, method: EQUALS } }],
    }),
  ).find((u) => u.userName === userName);
  const description = 'ZitAuth gateway: machine-to-machine tokens (JWT profile grant)';
  if (!found) {
    const res = await c.call('POST', '/users/machine', {
      userName,
      name: displayName,
      description,
      accessTokenType: 'ACCESS_TOKEN_TYPE_JWT',
    });
    return { userId: requireId(res.userId, 'user'), outcome: 'created' };
  }
  const userId = requireId(found.id, 'user');
  const machine = found.machine;
  if (!isObject(machine)) {
    throw new InvalidRequest(`A user named "${userName}" exists but is not a service user; pass --service-user.`);
  }
  if ((machine.accessTokenType ?? 'ACCESS_TOKEN_TYPE_BEARER') === 'ACCESS_TOKEN_TYPE_JWT') return { userId, outcome: 'found' };
  await c.call('PUT', `/users/${userId}/machine`, {
    name: str(machine.name) ?? displayName,
    description: str(machine.description) ?? description,
    accessTokenType: 'ACCESS_TOKEN_TYPE_JWT',
  });
  return { userId, outcome: 'updated' };
}

/** Creates a JSON key for the machine user; returns the decoded key-file text. */
export async function createMachineKey(c: ManagementClient, userId: string, expirationDate?: string): Promise<string> {
  const res = await c.call('POST', `/users/${userId}/keys`, {
    type: 'KEY_TYPE_JSON',
    ...(expirationDate ? { expirationDate } : {}),
  });
  return decodeKeyDetails(res.keyDetails, 'service-user');
}

/** Creates a JSON key for the API app; returns the decoded key-file text. */
export async function createAppKey(
  c: ManagementClient,
  projectId: string,
  appId: string,
  expirationDate?: string,
): Promise<string> {
  const res = await c.call('POST', `/projects/${projectId}/apps/${appId}/keys`, {
    type: 'KEY_TYPE_JSON',
    ...(expirationDate ? { expirationDate } : {}),
  });
  return decodeKeyDetails(res.keyDetails, 'API application');
}

export interface PrivacyLinks {
  tosLink?: string;
  privacyLink?: string;
  helpLink?: string;
  supportEmail?: string;
}

/** Every field of `AddCustomPrivacyPolicyRequest` / `UpdateCustomPrivacyPolicyRequest`. */
const PRIVACY_FIELDS = ['tosLink', 'privacyLink', 'helpLink', 'supportEmail', 'docsLink', 'customLink', 'customLinkText'] as const;

/**
 * Sets the organization's privacy policy links (shown by the login UI as "External links").
 * An org that still inherits the instance default gets a custom policy (POST) starting from the
 * default's values; an org with its own policy is updated (PUT) — every field sent back as read
 * (docs link, custom link and its text included), and only when a link actually differs.
 */
export async function ensurePrivacyPolicy(c: ManagementClient, links: PrivacyLinks): Promise<Outcome> {
  const res = await c.call('GET', '/policies/privacy');
  const policy = isObject(res.policy) ? res.policy : {};
  const current: Json = {};
  for (const k of PRIVACY_FIELDS) current[k] = str(policy[k]) ?? '';
  const wanted: Json = { ...current };
  for (const k of ['tosLink', 'privacyLink', 'helpLink', 'supportEmail'] as const) if (links[k] !== undefined) wanted[k] = links[k];
  if (policy.isDefault === true) {
    await c.call('POST', '/policies/privacy', wanted);
    return 'created';
  }
  if (sameJson(wanted, current)) return 'found';
  await c.call('PUT', '/policies/privacy', wanted);
  return 'updated';
}

/** A key of a machine user or an API app, as `…/keys/_search` lists it. */
export interface KeyInfo {
  id: string;
  expirationDate: string | undefined;
}

/** The machine user's keys (`ListMachineKeys`). */
export async function listMachineKeys(c: ManagementClient, userId: string): Promise<KeyInfo[]> {
  return keyInfos(await c.call('POST', `/users/${userId}/keys/_search`, { query: { limit: 1000 } }));
}

/** The API app's keys (`ListAppKeys`). */
export async function listAppKeys(c: ManagementClient, projectId: string, appId: string): Promise<KeyInfo[]> {
  return keyInfos(await c.call('POST', `/projects/${projectId}/apps/${appId}/keys/_search`, { query: { limit: 1000 } }));
}

function keyInfos(res: Json): KeyInfo[] {
  return resultList(res).flatMap((k) => {
    const id = str(k.id);
    return id ? [{ id, expirationDate: str(k.expirationDate) }] : [];
  });
}

function decodeKeyDetails(v: unknown, what: string): string {
  // `key_details` is proto `bytes`: base64 in JSON, holding the key file exactly as the console
  // would download it.
  if (typeof v !== 'string' || v === '') throw new IdpBadResponse(`Zitadel returned no key details for the ${what} key.`);
  const text = Buffer.from(v, 'base64').toString('utf8');
  try {
    if (!isObject(JSON.parse(text))) throw new Error('not an object');
  } catch {
    throw new IdpBadResponse(`Zitadel returned ${what} key details that are not a JSON key file.`);
  }
  return text;
}

function requireId(v: unknown, what: string): string {
  const s = str(v);
  if (s === undefined) throw new IdpBadResponse(`Zitadel's answer lacks the ${what} id.`);
  return s;
}

function sameSet(have: unknown, want: string[]): boolean {
  const h = strings(have);
  return h.length === want.length && want.every((w) => h.includes(w));
}
