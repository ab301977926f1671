/**
 * A Zitadel management-API v1 fake for provisioning tests.
 *
 * It answers like Zitadel's grpc-gateway (lowerCamelCase JSON, ids as numeric strings, empty
 * `result` omitted, errors as `{code, message}` with the mapped HTTP status) and, more
 * importantly, *checks* every request against the documented shape: method, path, bearer PAT,
 * JSON content type, required fields and enum values (from `zitadel/management.proto` and
 * `zitadel/app.proto`, `zitadel/user.proto`, `zitadel/auth_n_key.proto`). Any deviation is
 * recorded in `violations` and answered with 400, so a test can assert `violations == []`.
 */
import { generateKeyPairSync } from 'node:crypto';

export interface FakeCall {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
}

interface Project { id: string; name: string; projectRoleAssertion: boolean; projectRoleCheck: boolean; hasProjectCheck: boolean; roles: { key: string; displayName: string; group?: string }[] }
interface App { id: string; projectId: string; name: string; oidcConfig?: Record<string, unknown>; apiConfig?: Record<string, unknown> }
interface User { id: string; userName: string; machine: { name: string; description: string; accessTokenType?: string } }

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
    privacy: { isDefault: boolean; tosLink: string; privacyLink: string; helpLink: string; supportEmail: string };
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
};

type Body = Record<string, unknown>;

/** Starts the fake on an ephemeral loopback port. */
export function startZitadelFake(opts: { pat: string; orgId?: string }): ZitadelFake {
  const calls: FakeCall[] = [];
  const violations: string[] = [];
  const state: ZitadelFake['state'] = {
    projects: [], apps: [], users: [], userKeys: [], appKeys: [],
    privacy: { isDefault: true, tosLink: '', privacyLink: '', helpLink: '', supportEmail: '' },
  };
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
      ?? need(b, 'accessTokenRoleAssertion', 'boolean', where);
  };
  const keyChecks = (b: Body, where: string): string | undefined =>
    enumOk(b.type, ENUMS.keyType, `${where} type`) ??
    (b.expirationDate !== undefined && Number.isNaN(Date.parse(String(b.expirationDate))) ? `${where}: expirationDate must be RFC 3339` : undefined);

  const rsaPem = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');

  const appView = (a: App) => ({ id: a.id, details: details(), state: 'APP_STATE_ACTIVE', name: a.name, ...(a.oidcConfig ? { oidcConfig: a.oidcConfig } : {}), ...(a.apiConfig ? { apiConfig: a.apiConfig } : {}) });

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
        return list(state.projects.filter((x) => name === undefined || x.name === name).map((x) => ({ id: x.id, details: details(), name: x.name, state: 'PROJECT_STATE_ACTIVE', ...(x.projectRoleAssertion ? { projectRoleAssertion: true } : {}) })));
      }
      if (method === 'POST' && path === '/management/v1/projects') {
        const p = need(b, 'name', 'string', where); if (p) return bad(p);
        if (state.projects.some((x) => x.name === b.name)) return json(409, { code: 6, message: 'Errors.Project.AlreadyExists' });
        const proj: Project = { id: nextId(), name: String(b.name), projectRoleAssertion: b.projectRoleAssertion === true, projectRoleCheck: b.projectRoleCheck === true, hasProjectCheck: b.hasProjectCheck === true, roles: [] };
        state.projects.push(proj);
        return json(200, { id: proj.id, details: details() });
      }
      if ((m = path.match(/^\/management\/v1\/projects\/(\d+)$/)) && method === 'PUT') {
        const proj = state.projects.find((x) => x.id === m![1]); if (!proj) return notFound('Project');
        const p = need(b, 'name', 'string', where); if (p) return bad(p);
        Object.assign(proj, { name: b.name, projectRoleAssertion: b.projectRoleAssertion === true });
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
          const clientId = nextId();
          state.apps.push({ id, projectId: proj.id, name: String(b.name), oidcConfig: { ...cfg, clientId, version: 'OIDC_VERSION_1_0' } });
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
          const q = oidcChecks(b, where); if (q) return bad(q);
          app.oidcConfig = { ...app.oidcConfig, ...b };
        } else {
          const q = enumOk(b.authMethodType, ENUMS.apiAuth, `${where} authMethodType`); if (q) return bad(q);
          app.apiConfig = { ...app.apiConfig, authMethodType: b.authMethodType };
        }
        return json(200, { details: details() });
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
      if ((m = path.match(/^\/management\/v1\/users\/(\d+)\/keys$/)) && method === 'POST') {
        const u = state.users.find((x) => x.id === m![1]); if (!u) return notFound('User');
        const q = keyChecks(b, where); if (q) return bad(q);
        const id = nextId();
        const expirationDate = b.expirationDate ? String(b.expirationDate) : '9999-12-31T23:59:59Z';
        state.userKeys.push({ id, userId: u.id, expirationDate });
        return json(200, { keyId: id, details: details(), keyDetails: b64({ type: 'serviceaccount', keyId: id, key: rsaPem(), expirationDate, userId: u.id }) });
      }

      // --- privacy policy ------------------------------------------------------------------
      if (path === '/management/v1/policies/privacy') {
        const pol = state.privacy;
        if (method === 'GET') {
          const view: Body = { details: details(), ...(pol.isDefault ? { isDefault: true } : {}) };
          for (const k of ['tosLink', 'privacyLink', 'helpLink', 'supportEmail'] as const) if (pol[k]) view[k] = pol[k];
          return json(200, { policy: view });
        }
        for (const [k, v] of Object.entries(b)) {
          if (!['tosLink', 'privacyLink', 'helpLink', 'supportEmail', 'docsLink', 'customLink', 'customLinkText'].includes(k)) return bad(`${where}: unknown field ${k}`);
          if (typeof v !== 'string') return bad(`${where}: ${k} must be a string`);
        }
        if (method === 'POST' && !pol.isDefault) return json(409, { code: 6, message: 'Errors.Org.PrivacyPolicy.AlreadyExists' });
        if (method === 'PUT' && pol.isDefault) return json(404, { code: 5, message: 'Errors.Org.PrivacyPolicy.NotFound' });
        if (method === 'POST' || method === 'PUT') {
          Object.assign(pol, { isDefault: false, tosLink: b.tosLink ?? '', privacyLink: b.privacyLink ?? '', helpLink: b.helpLink ?? '', supportEmail: b.supportEmail ?? '' });
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
