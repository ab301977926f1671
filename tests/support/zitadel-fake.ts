/**
 * A Zitadel management-API v1 fake for provisioning tests.
 *
 * It answers like Zitadel's grpc-gateway (lowerCamelCase JSON, ids as numeric strings, empty
 * `result` omitted, errors as `{code, message}` with the mapped HTTP status) and, more
 * importantly, *checks* every request against the documented shape: method, path, bearer PAT,
 * JSON content type, required fields and enum values (from `zitadel/management.proto` and
 * `zitadel/app.proto`, `zitadel/user.proto`, `zitadel/auth_n_key.proto`). Any deviation is
 * recorded in `violations` and answered with 400, so a test can assert `violations == []`.
 * (Stricter than Zitadel, whose gateway discards unknown JSON fields: here they are typos.)
 *
 * Like Zitadel, the three updates provisioning uses replace the whole record — a field left out of
 * the request is reset to its zero value — and refuse an update that changes nothing:
 * - `PUT …/apps/{id}/oidc_config`: 400 "No changes (COMMAND-1m88i)" (`Errors.NoChangesFound`,
 *   zitadel `internal/command/project_application_oidc.go` `UpdateOIDCApplication`, v2.71.18 and v4.13.1);
 * - `PUT /projects/{id}`: on v2.71 400 "No changes (COMMAND-2M0fs)" (`internal/command/project.go`);
 *   v4.13.1's `ChangeProject` answers an unchanged project with 200;
 * - `PUT /policies/privacy`: 400 "Errors.Org.PrivacyPolicy.NotChanged (Org-4N9fs)" (no translation
 *   exists; `internal/command/org_policy_privacy.go`).
 * Errors carry grpc-gateway's body `{code, message: "<key or translation> (<id>)", details}`
 * (`internal/api/grpc/gerrors/zitadel_errors.go`); FailedPrecondition (9) maps to HTTP 400. Views
 * omit proto zero values (protojson defaults, `internal/api/grpc/server/gateway.go`).
 */
import { generateKeyPairSync } from 'node:crypto';

export interface FakeCall {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
}

interface Project { id: string; name: string; projectRoleAssertion: boolean; projectRoleCheck: boolean; hasProjectCheck: boolean; privateLabelingSetting: string; roles: { key: string; displayName: string; group?: string }[] }
interface App { id: string; projectId: string; name: string; oidcConfig?: Record<string, unknown>; apiConfig?: Record<string, unknown> }
interface User { id: string; userName: string; machine: { name: string; description: string; accessTokenType?: string } }

interface Privacy { isDefault: boolean; tosLink: string; privacyLink: string; helpLink: string; supportEmail: string; docsLink: string; customLink: string; customLinkText: string }
const PRIVACY_FIELDS = ['tosLink', 'privacyLink', 'helpLink', 'supportEmail', 'docsLink', 'customLink', 'customLinkText'] as const;

/** Fields of `UpdateOIDCAppConfigRequest` (zitadel v4.13.1 `proto/zitadel/management.proto`) and their zero values. */
const OIDC_FIELDS: Record<string, unknown> = {
  redirectUris: [],
  responseTypes: [],
  grantTypes: [],
  appType: 'OIDC_APP_TYPE_WEB',
  authMethodType: 'OIDC_AUTH_METHOD_TYPE_BASIC',
  postLogoutRedirectUris: [],
  devMode: false,
  accessTokenType: 'OIDC_TOKEN_TYPE_BEARER',
  accessTokenRoleAssertion: false,
  idTokenRoleAssertion: false,
  idTokenUserinfoAssertion: false,
  clockSkew: '0s',
  additionalOrigins: [],
  skipNativeAppSuccessPage: false,
  backChannelLogoutUri: '',
  loginVersion: undefined,
};
/** What protojson leaves out of a view: false, '', [], enum 0 (clockSkew is a set message: always shown). */
const isZero = (k: string, v: unknown) =>
  v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (k !== 'clockSkew' && typeof v === 'string' && v === OIDC_FIELDS[k]);

export interface ZitadelFake {
  url: string;
  calls: FakeCall[];
  violations: string[];
  state: {
    projects: Project[];
    apps: App[];
    users: User[];
    userKeys: { id: string; userId: string; expirationDate?: string }[];
    appKeys: { id: string; appId: string; expirationDate?: string }[];
    privacy: Privacy;
  };
  /** Count of calls matching method + path regex. */
  count(method: string, path: RegExp): number;
  stop(): Promise<void>;
}

const ENUMS = {
  textQueryMethod: new Set(['TEXT_QUERY_METHOD_EQUALS', 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE', 'TEXT_QUERY_METHOD_STARTS_WITH', 'TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE', 'TEXT_QUERY_METHOD_CONTAINS', 'TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE', 'TEXT_QUERY_METHOD_ENDS_WITH', 'TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE']),
  responseType: new Set(['OIDC_RESPONSE_TYPE_CODE', 'OIDC_RESPONSE_TYPE_ID_TOKEN', 'OIDC_RESPONSE_TYPE_ID_TOKEN_TOKEN']),
  grantType: new Set(['OIDC_GRANT_TYPE_AUTHORIZATION_CODE', 'OIDC_GRANT_TYPE_IMPLICIT', 'OIDC_GRANT_TYPE_REFRESH_TOKEN', 'OIDC_GRANT_TYPE_DEVICE_CODE', 'OIDC_GRANT_TYPE_TOKEN_EXCHANGE']),
  appType: new Set(['OIDC_APP_TYPE_WEB', 'OIDC_APP_TYPE_USER_AGENT', 'OIDC_APP_TYPE_NATIVE']),
  oidcAuth: new Set(['OIDC_AUTH_METHOD_TYPE_BASIC', 'OIDC_AUTH_METHOD_TYPE_POST', 'OIDC_AUTH_METHOD_TYPE_NONE', 'OIDC_AUTH_METHOD_TYPE_PRIVATE_KEY_JWT']),
  oidcVersion: new Set(['OIDC_VERSION_1_0']),
  oidcToken: new Set(['OIDC_TOKEN_TYPE_BEARER', 'OIDC_TOKEN_TYPE_JWT']),
  apiAuth: new Set(['API_AUTH_METHOD_TYPE_BASIC', 'API_AUTH_METHOD_TYPE_PRIVATE_KEY_JWT']),
  userToken: new Set(['ACCESS_TOKEN_TYPE_BEARER', 'ACCESS_TOKEN_TYPE_JWT']),
  keyType: new Set(['KEY_TYPE_JSON']),
  privateLabeling: new Set(['PRIVATE_LABELING_SETTING_UNSPECIFIED', 'PRIVATE_LABELING_SETTING_ENFORCE_PROJECT_RESOURCE_OWNER_POLICY', 'PRIVATE_LABELING_SETTING_ALLOW_LOGIN_USER_RESOURCE_OWNER_POLICY']),
};

type Body = Record<string, unknown>;

/**
 * Starts the fake on an ephemeral loopback port. `version` selects the one behaviour that differs
 * between the Zitadel versions provisioning supports (an unchanged `PUT /projects/{id}`); default v4.
 */
export function startZitadelFake(opts: { pat: string; orgId?: string; version?: 'v2.71' | 'v4' }): ZitadelFake {
  const calls: FakeCall[] = [];
  const violations: string[] = [];
  const state: ZitadelFake['state'] = {
    projects: [], apps: [], users: [], userKeys: [], appKeys: [],
    // The instance default (zitadel cmd/defaults.yaml DefaultInstance.PrivacyPolicy).
    privacy: { isDefault: true, tosLink: '', privacyLink: '', helpLink: '', supportEmail: '', docsLink: 'https://zitadel.com/docs', customLink: '', customLinkText: '' },
  };
  const noChange = (id: string, message: string) => json(400, { code: 9, message: `${message} (${id})`, details: [{ '@type': 'type.googleapis.com/zitadel.v1.ErrorDetail', id, message }] });
  let seq = 250000000000000000n;
  const nextId = () => (seq += 1n).toString();
  const details = () => ({ sequence: '1', creationDate: '2026-01-01T00:00:00Z', changeDate: '2026-01-01T00:00:00Z', resourceOwner: opts.orgId ?? '200000000000000001' });

  const json = (status: number, body: unknown) => Response.json(body, { status });
  const bad = (why: string) => {
    violations.push(why);
    return json(400, { code: 3, message: why, details: [] });
  };
  const notFound = (what: string) => json(404, { code: 5, message: `Errors.${what}.NotFound` });
  // grpc-gateway omits empty repeated fields, so an empty list has no `result` at all.
  const list = (items: unknown[]) => json(200, { details: { totalResult: String(items.length), processedSequence: '1', viewTimestamp: '2026-01-01T00:00:00Z' }, ...(items.length ? { result: items } : {}) });

  // --- shape checks -------------------------------------------------------------------------
  const need = (b: Body, field: string, kind: 'string' | 'boolean' | 'array', where: string): string | undefined => {
    const v = b[field];
    const ok = kind === 'array' ? Array.isArray(v) : typeof v === kind && (kind !== 'string' || (v as string).length > 0);
    return ok ? undefined : `${where}: field "${field}" must be a non-empty ${kind}`;
  };
  const enumOk = (v: unknown, set: Set<string>, where: string): string | undefined =>
    typeof v === 'string' && set.has(v) ? undefined : `${where}: ${JSON.stringify(v)} is not a valid enum value`;
  const checkListQuery = (b: Body, where: string, queryKey: string, field: string): string | undefined => {
    if (b.query !== undefined && (typeof b.query !== 'object' || b.query === null)) return `${where}: query must be an object`;
    if (b.queries === undefined) return undefined;
    if (!Array.isArray(b.queries)) return `${where}: queries must be an array`;
    for (const q of b.queries as Body[]) {
      const inner = q[queryKey] as Body | undefined;
      if (!inner || typeof inner[field] !== 'string') return `${where}: each query needs ${queryKey}.${field}`;
      const m = enumOk(inner.method ?? 'TEXT_QUERY_METHOD_EQUALS', ENUMS.textQueryMethod, where);
      if (m) return m;
    }
    return undefined;
  };
  const queryValue = (b: Body, queryKey: string, field: string): string | undefined => {
    const q = (b.queries as Body[] | undefined)?.[0]?.[queryKey] as Body | undefined;
    return q?.[field] as string | undefined;
  };
  const oidcChecks = (b: Body, where: string): string | undefined => {
    for (const f of ['redirectUris', 'responseTypes', 'grantTypes', 'postLogoutRedirectUris'] as const) {
      const p = need(b, f, 'array', where);
      if (p) return p;
    }
    for (const r of b.responseTypes as unknown[]) { const p = enumOk(r, ENUMS.responseType, `${where} responseTypes`); if (p) return p; }
    for (const g of b.grantTypes as unknown[]) { const p = enumOk(g, ENUMS.grantType, `${where} grantTypes`); if (p) return p; }
    return enumOk(b.appType, ENUMS.appType, `${where} appType`)
      ?? enumOk(b.authMethodType, ENUMS.oidcAuth, `${where} authMethodType`)
      ?? enumOk(b.accessTokenType, ENUMS.oidcToken, `${where} accessTokenType`)
      ?? need(b, 'devMode', 'boolean', where)
      ?? need(b, 'accessTokenRoleAssertion', 'boolean', where)
      ?? optional(b, where);
  };
  /** The optional fields of an OIDC config, checked when present (proto types as protojson writes them). */
  const optional = (b: Body, where: string): string | undefined => {
    if (b.clockSkew !== undefined && !(typeof b.clockSkew === 'string' && /^\d+(\.\d{1,9})?s$/.test(b.clockSkew))) return `${where}: clockSkew must be a protobuf Duration like "1.5s"`;
    if (b.additionalOrigins !== undefined && !(Array.isArray(b.additionalOrigins) && b.additionalOrigins.every((o) => typeof o === 'string'))) return `${where}: additionalOrigins must be a string array`;
    for (const f of ['idTokenRoleAssertion', 'idTokenUserinfoAssertion', 'skipNativeAppSuccessPage'] as const) {
      if (b[f] !== undefined && typeof b[f] !== 'boolean') return `${where}: ${f} must be a boolean`;
    }
    if (b.backChannelLogoutUri !== undefined) {
      if (typeof b.backChannelLogoutUri !== 'string') return `${where}: backChannelLogoutUri must be a string`;
      if (b.backChannelLogoutUri !== '' && !URL.canParse(b.backChannelLogoutUri)) return `${where}: backChannelLogoutUri must be a URL`;
    }
    if (b.loginVersion !== undefined) {
      const lv = b.loginVersion as Body;
      const keys = typeof lv === 'object' && lv !== null ? Object.keys(lv) : [];
      if (keys.length !== 1 || !['loginV1', 'loginV2'].includes(keys[0]!)) return `${where}: loginVersion must be {"loginV1":{}} or {"loginV2":{…}}`;
    }
    return undefined;
  };
  const unknownFields = (b: Body, known: string[], where: string): string | undefined => {
    const extra = Object.keys(b).filter((k) => !known.includes(k));
    return extra.length ? `${where}: unknown field(s) ${extra.join(', ')}` : undefined;
  };
  /** The stored OIDC config: every update field, zero value where the request left it out. */
  const oidcRecord = (b: Body): Record<string, unknown> =>
    Object.fromEntries(Object.entries(OIDC_FIELDS).map(([k, zero]) => [k, b[k] ?? zero]));
  const keyChecks = (b: Body, where: string): string | undefined =>
    enumOk(b.type, ENUMS.keyType, `${where} type`) ??
    (b.expirationDate !== undefined && Number.isNaN(Date.parse(String(b.expirationDate))) ? `${where}: expirationDate must be RFC 3339` : undefined);

  const rsaPem = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');

  const oidcView = (cfg: Record<string, unknown>) => Object.fromEntries(Object.entries(cfg).filter(([k, v]) => !(k === 'version' ? v === 'OIDC_VERSION_1_0' : isZero(k, v))));
  const appView = (a: App) => ({ id: a.id, details: details(), state: 'APP_STATE_ACTIVE', name: a.name, ...(a.oidcConfig ? { oidcConfig: oidcView(a.oidcConfig) } : {}), ...(a.apiConfig ? { apiConfig: a.apiConfig } : {}) });

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname;
      const method = req.method;
      let body: Body | undefined;
      const raw = method === 'GET' ? '' : await req.text();
      if (raw !== '') {
        try { body = JSON.parse(raw) as Body; } catch { return bad(`${method} ${path}: body is not JSON`); }
      }
      calls.push({ method, path, body });

      if (req.headers.get('authorization') !== `Bearer ${opts.pat}`) {
        violations.push(`${method} ${path}: missing or wrong bearer token`);
        return json(401, { code: 16, message: 'Errors.Token.Invalid (AUTH-7fs1e)' });
      }
      if (opts.orgId && req.headers.get('x-zitadel-orgid') !== opts.orgId) return bad(`${method} ${path}: x-zitadel-orgid header missing`);
      if (method !== 'GET' && !(req.headers.get('content-type') ?? '').startsWith('application/json')) return bad(`${method} ${path}: content-type must be application/json`);
      if (method !== 'GET' && body === undefined) return bad(`${method} ${path}: JSON body required (use {} for none)`);
      const b = body ?? {};
      const where = `${method} ${path}`;
      let m: RegExpMatchArray | null;

      // --- projects ------------------------------------------------------------------------
      if (method === 'POST' && path === '/management/v1/projects/_search') {
        const p = checkListQuery(b, where, 'nameQuery', 'name'); if (p) return bad(p);
        const name = queryValue(b, 'nameQuery', 'name');
        return list(state.projects.filter((x) => name === undefined || x.name === name).map((x) => ({
          id: x.id, details: details(), name: x.name, state: 'PROJECT_STATE_ACTIVE',
          ...(x.projectRoleAssertion ? { projectRoleAssertion: true } : {}),
          ...(x.projectRoleCheck ? { projectRoleCheck: true } : {}),
          ...(x.hasProjectCheck ? { hasProjectCheck: true } : {}),
          ...(x.privateLabelingSetting !== 'PRIVATE_LABELING_SETTING_UNSPECIFIED' ? { privateLabelingSetting: x.privateLabelingSetting } : {}),
        })));
      }
      if (method === 'POST' && path === '/management/v1/projects') {
        const p = need(b, 'name', 'string', where); if (p) return bad(p);
        if (state.projects.some((x) => x.name === b.name)) return json(409, { code: 6, message: 'Errors.Project.AlreadyExists' });
        const proj: Project = { id: nextId(), name: String(b.name), projectRoleAssertion: b.projectRoleAssertion === true, projectRoleCheck: b.projectRoleCheck === true, hasProjectCheck: b.hasProjectCheck === true, privateLabelingSetting: String(b.privateLabelingSetting ?? 'PRIVATE_LABELING_SETTING_UNSPECIFIED'), roles: [] };
        state.projects.push(proj);
        return json(200, { id: proj.id, details: details() });
      }
      if ((m = path.match(/^\/management\/v1\/projects\/(\d+)$/)) && method === 'PUT') {
        const proj = state.projects.find((x) => x.id === m![1]); if (!proj) return notFound('Project');
        const p = need(b, 'name', 'string', where) ?? unknownFields(b, ['name', 'projectRoleAssertion', 'projectRoleCheck', 'hasProjectCheck', 'privateLabelingSetting'], where)
          ?? enumOk(b.privateLabelingSetting ?? 'PRIVATE_LABELING_SETTING_UNSPECIFIED', ENUMS.privateLabeling, `${where} privateLabelingSetting`);
        if (p) return bad(p);
        // UpdateProjectRequest replaces the record: what is not sent becomes false / UNSPECIFIED.
        const next = { name: String(b.name), projectRoleAssertion: b.projectRoleAssertion === true, projectRoleCheck: b.projectRoleCheck === true, hasProjectCheck: b.hasProjectCheck === true, privateLabelingSetting: String(b.privateLabelingSetting ?? 'PRIVATE_LABELING_SETTING_UNSPECIFIED') };
        const same = (Object.keys(next) as (keyof typeof next)[]).every((k) => proj[k] === next[k]);
        if (same && opts.version === 'v2.71') return noChange('COMMAND-2M0fs', 'No changes');
        Object.assign(proj, next);
        return json(200, { details: details() });
      }
      if ((m = path.match(/^\/management\/v1\/projects\/(\d+)\/roles\/(_search|_bulk)$/)) && method === 'POST') {
        const proj = state.projects.find((x) => x.id === m![1]); if (!proj) return notFound('Project');
        if (m[2] === '_search') return list(proj.roles.map((r) => ({ key: r.key, displayName: r.displayName, details: details() })));
        const p = need(b, 'roles', 'array', where); if (p) return bad(p);
        for (const r of b.roles as Body[]) {
          if (typeof r.key !== 'string' || !r.key || typeof r.displayName !== 'string' || !r.displayName) return bad(`${where}: each role needs key and displayName`);
          if (proj.roles.some((x) => x.key === r.key)) return json(409, { code: 6, message: 'Errors.Project.Role.AlreadyExists' });
        }
        for (const r of b.roles as Body[]) proj.roles.push({ key: String(r.key), displayName: String(r.displayName) });
        return json(200, { details: details() });
      }

      // --- apps ----------------------------------------------------------------------------
      if ((m = path.match(/^\/management\/v1\/projects\/(\d+)\/apps\/(_search|oidc|api)$/)) && method === 'POST') {
        const proj = state.projects.find((x) => x.id === m![1]); if (!proj) return notFound('Project');
        if (m[2] === '_search') {
          const p = checkListQuery(b, where, 'nameQuery', 'name'); if (p) return bad(p);
          const name = queryValue(b, 'nameQuery', 'name');
          return list(state.apps.filter((a) => a.projectId === proj.id && (name === undefined || a.name === name)).map(appView));
        }
        const p = need(b, 'name', 'string', where); if (p) return bad(p);
        if (state.apps.some((a) => a.projectId === proj.id && a.name === b.name)) return json(409, { code: 6, message: 'Errors.Project.App.AlreadyExists' });
        const id = nextId();
        if (m[2] === 'oidc') {
          const q = oidcChecks(b, where) ?? enumOk(b.version ?? 'OIDC_VERSION_1_0', ENUMS.oidcVersion, `${where} version`); if (q) return bad(q);
          const { name: _n, version: _v, ...cfg } = b;
          const u = unknownFields(cfg, Object.keys(OIDC_FIELDS), where); if (u) return bad(u);
          const clientId = nextId();
          state.apps.push({ id, projectId: proj.id, name: String(b.name), oidcConfig: { ...oidcRecord(cfg), clientId, version: 'OIDC_VERSION_1_0' } });
          return json(200, { appId: id, details: details(), clientId, noneCompliant: false });
        }
        const q = enumOk(b.authMethodType, ENUMS.apiAuth, `${where} authMethodType`); if (q) return bad(q);
        const clientId = `${nextId()}@${proj.name.toLowerCase()}`;
        state.apps.push({ id, projectId: proj.id, name: String(b.name), apiConfig: { clientId, authMethodType: b.authMethodType } });
        return json(200, { appId: id, details: details(), clientId });
      }
      if ((m = path.match(/^\/management\/v1\/projects\/(\d+)\/apps\/(\d+)\/(oidc_config|api_config)$/)) && method === 'PUT') {
        const app = state.apps.find((a) => a.projectId === m![1] && a.id === m![2]); if (!app) return notFound('App');
        if (m[3] === 'oidc_config') {
          const q = oidcChecks(b, where) ?? unknownFields(b, Object.keys(OIDC_FIELDS), where); if (q) return bad(q);
          if (!app.oidcConfig) return json(400, { code: 3, message: 'Errors.Project.App.IsNotOIDC (COMMAND-GBr34)' });
          // Full replace: every field takes the request's value, its zero value when left out.
          const next = oidcRecord(b);
          if (Object.keys(OIDC_FIELDS).every((k) => JSON.stringify(next[k]) === JSON.stringify(app.oidcConfig![k]))) return noChange('COMMAND-1m88i', 'No changes');
          app.oidcConfig = { ...next, clientId: app.oidcConfig.clientId, version: app.oidcConfig.version };
        } else {
          const q = enumOk(b.authMethodType, ENUMS.apiAuth, `${where} authMethodType`); if (q) return bad(q);
          app.apiConfig = { ...app.apiConfig, authMethodType: b.authMethodType };
        }
        return json(200, { details: details() });
      }
      if ((m = path.match(/^\/management\/v1\/projects\/(\d+)\/apps\/(\d+)\/keys\/_search$/)) && method === 'POST') {
        const app = state.apps.find((a) => a.projectId === m![1] && a.id === m![2]); if (!app) return notFound('App');
        return list(state.appKeys.filter((k) => k.appId === app.id).map((k) => ({ id: k.id, details: details(), type: 'KEY_TYPE_JSON', expirationDate: k.expirationDate ?? '9999-12-31T23:59:59Z' })));
      }
      if ((m = path.match(/^\/management\/v1\/projects\/(\d+)\/apps\/(\d+)\/keys$/)) && method === 'POST') {
        const app = state.apps.find((a) => a.projectId === m![1] && a.id === m![2]); if (!app) return notFound('App');
        if (!app.apiConfig) return json(400, { code: 9, message: 'Errors.Project.App.IsNotAPI' });
        const q = keyChecks(b, where); if (q) return bad(q);
        const id = nextId();
        state.appKeys.push({ id, appId: app.id, ...(b.expirationDate ? { expirationDate: String(b.expirationDate) } : {}) });
        return json(200, { id, details: details(), keyDetails: b64({ type: 'application', keyId: id, key: rsaPem(), appId: app.id, clientId: app.apiConfig.clientId }) });
      }

      // --- users ---------------------------------------------------------------------------
      if (method === 'POST' && path === '/management/v1/users/_search') {
        const p = checkListQuery(b, where, 'userNameQuery', 'userName'); if (p) return bad(p);
        const name = queryValue(b, 'userNameQuery', 'userName');
        return list(state.users.filter((u) => name === undefined || u.userName === name).map((u) => ({ id: u.id, details: details(), state: 'USER_STATE_ACTIVE', userName: u.userName, loginNames: [u.userName], preferredLoginName: u.userName, machine: u.machine })));
      }
      if (method === 'POST' && path === '/management/v1/users/machine') {
        const p = need(b, 'userName', 'string', where) ?? need(b, 'name', 'string', where) ?? enumOk(b.accessTokenType, ENUMS.userToken, `${where} accessTokenType`); if (p) return bad(p);
        if (state.users.some((u) => u.userName === b.userName)) return json(409, { code: 6, message: 'Errors.User.AlreadyExists' });
        const u: User = { id: nextId(), userName: String(b.userName), machine: { name: String(b.name), description: String(b.description ?? ''), accessTokenType: String(b.accessTokenType) } };
        state.users.push(u);
        return json(200, { userId: u.id, details: details() });
      }
      if ((m = path.match(/^\/management\/v1\/users\/(\d+)\/machine$/)) && method === 'PUT') {
        const u = state.users.find((x) => x.id === m![1]); if (!u) return notFound('User');
        const p = need(b, 'name', 'string', where) ?? enumOk(b.accessTokenType, ENUMS.userToken, `${where} accessTokenType`); if (p) return bad(p);
        u.machine = { name: String(b.name), description: String(b.description ?? ''), accessTokenType: String(b.accessTokenType) };
        return json(200, { details: details() });
      }
      if ((m = path.match(/^\/management\/v1\/users\/(\d+)\/keys\/_search$/)) && method === 'POST') {
        const u = state.users.find((x) => x.id === m![1]); if (!u) return notFound('User');
        return list(state.userKeys.filter((k) => k.userId === u.id).map((k) => ({ id: k.id, details: details(), type: 'KEY_TYPE_JSON', expirationDate: k.expirationDate })));
      }
      if ((m = path.match(/^\/management\/v1\/users\/(\d+)\/keys$/)) && method === 'POST') {
        const u = state.users.find((x) => x.id === m![1]); if (!u) return notFound('User');
        const q = keyChecks(b, where); if (q) return bad(q);
        const id = nextId();
        // Zitadel's default for a key without expiry (internal/domain/expiration.go: 9999-12-31 23:59:59 UTC).
        const expirationDate = b.expirationDate ? String(b.expirationDate) : '9999-12-31T23:59:59Z';
        state.userKeys.push({ id, userId: u.id, expirationDate });
        return json(200, { keyId: id, details: details(), keyDetails: b64({ type: 'serviceaccount', keyId: id, key: rsaPem(), expirationDate, userId: u.id }) });
      }

      // --- privacy policy ------------------------------------------------------------------
      if (path === '/management/v1/policies/privacy') {
        const pol = state.privacy;
        if (method === 'GET') {
          const view: Body = { details: details(), ...(pol.isDefault ? { isDefault: true } : {}) };
          for (const k of PRIVACY_FIELDS) if (pol[k]) view[k] = pol[k];
          return json(200, { policy: view });
        }
        for (const [k, v] of Object.entries(b)) {
          if (!(PRIVACY_FIELDS as readonly string[]).includes(k)) return bad(`${where}: unknown field ${k}`);
          if (typeof v !== 'string') return bad(`${where}: ${k} must be a string`);
        }
        if (method === 'POST' && !pol.isDefault) return json(409, { code: 6, message: 'Errors.Org.PrivacyPolicy.AlreadyExists' });
        if (method === 'PUT' && pol.isDefault) return json(404, { code: 5, message: 'Errors.Org.PrivacyPolicy.NotFound' });
        if (method === 'POST' || method === 'PUT') {
          // Both requests carry the whole policy: a field left out becomes ''.
          const next = Object.fromEntries(PRIVACY_FIELDS.map((k) => [k, typeof b[k] === 'string' ? (b[k] as string) : ''])) as Record<(typeof PRIVACY_FIELDS)[number], string>;
          if (method === 'PUT' && PRIVACY_FIELDS.every((k) => pol[k] === next[k])) return noChange('Org-4N9fs', 'Errors.Org.PrivacyPolicy.NotChanged');
          Object.assign(pol, { isDefault: false, ...next });
          return json(200, { details: details() });
        }
      }

      return bad(`${where}: not a management API v1 route this fake knows`);
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    calls,
    violations,
    state,
    count: (method, re) => calls.filter((c) => c.method === method && re.test(c.path)).length,
    stop: async () => { await server.stop(true); },
  };
}
