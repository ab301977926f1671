// ZitAuth SPA demo: plain browser JavaScript, loaded as a file (CSP script-src 'self', no inline code).
// One page, two ways of logging in — /spa-config.json says which one the gateway runs:
// - session mode (backend for frontend, recommended): the tokens stay in the gateway; this page
//   holds only an HttpOnly session cookie it cannot read, asks GET /api/v1/session who is logged
//   in, and calls the demo API through the gateway's proxy with the header `X-CSRF: 1`;
// - fragment mode (the original ZitAuth): the gateway comes back here with
//   #access_token=…&id_token=… in the fragment (fragments never reach a server), the tokens go to
//   this tab's sessionStorage and the page sends the access token to its API itself.
'use strict';

const KEYS = { access: 'zitauth.access_token', id: 'zitauth.id_token', expires: 'zitauth.expires_at' };
const ROLES_CLAIM = 'urn:zitadel:iam:org:project:roles';
const $ = (id) => document.getElementById(id);

// The fragment is read and removed from the address bar before anything else runs: in fragment
// mode it holds tokens, which must not stay in the URL or the history. The error of a failed
// login arrives the same way in both modes.
const arrival = takeFragment();

/** The fragment's parameters (or null), after replacing the history entry without it. */
function takeFragment() {
  // After logout the IdP returns with the gateway's `?state=…`; nothing to do with it here.
  if (!location.hash && new URLSearchParams(location.search).has('state')) history.replaceState(null, '', location.pathname);
  if (!location.hash || location.hash.length < 2) return null;
  const params = new URLSearchParams(location.hash.slice(1));
  history.replaceState(null, '', location.pathname + location.search);
  return params;
}

/** Server-provided settings: the login mode, where the gateway is, where the demo API is. */
async function loadConfig() {
  const res = await fetch('/spa-config.json', { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`spa-config.json answered HTTP ${res.status}`);
  return res.json();
}

function showError(text) {
  const el = $('error');
  el.textContent = text;
  el.hidden = false;
}

function show(value) {
  $('output').textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

async function readBody(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Role keys of Zitadel's project-roles claim (`{ role: { orgId: orgDomain } }`). */
const rolesOf = (claims) => Object.keys((claims && typeof claims[ROLES_CLAIM] === 'object' && claims[ROLES_CLAIM]) || {});

/**
 * Fragment mode: the tokens this tab holds. The ID token's claims are decoded for display only —
 * the page trusts nothing in them; the API behind it has the gateway validate the access token.
 */
const fragmentMode = {
  name: 'fragment',
  title: 'Fragment mode (the original ZitAuth)',
  expiresLabel: 'Access token expires',

  /** Moves the tokens of a login that just came back into sessionStorage. */
  arrive(params) {
    const access = params && params.get('access_token');
    if (!access) return;
    sessionStorage.setItem(KEYS.access, access);
    const idToken = params.get('id_token');
    if (idToken) sessionStorage.setItem(KEYS.id, idToken);
    else sessionStorage.removeItem(KEYS.id);
    const expiresIn = Number(params.get('expires_in'));
    if (Number.isFinite(expiresIn) && expiresIn > 0) sessionStorage.setItem(KEYS.expires, String(Date.now() + expiresIn * 1000));
  },

  token() {
    const at = sessionStorage.getItem(KEYS.access);
    const exp = Number(sessionStorage.getItem(KEYS.expires));
    if (at && exp && Date.now() >= exp) {
      this.clear();
      return null;
    }
    return at;
  },

  clear() {
    for (const k of Object.values(KEYS)) sessionStorage.removeItem(k);
  },

  async who() {
    if (!this.token()) return null;
    const c = jwtClaims(sessionStorage.getItem(KEYS.id)) || {};
    const exp = Number(sessionStorage.getItem(KEYS.expires));
    return {
      name: c.name || c.preferred_username || c.email || c.sub || 'unknown user',
      email: c.email || '',
      roles: rolesOf(c),
      expiresAt: exp ? new Date(exp) : null,
    };
  },

  /** The demo API on this page's own origin, with the access token. */
  call(path) {
    return fetch(path, { headers: { authorization: `Bearer ${this.token()}`, accept: 'application/json' } });
  },

  logoutUrl(gateway, config) {
    const q = new URLSearchParams();
    const idToken = sessionStorage.getItem(KEYS.id);
    if (idToken) q.set('id_token_hint', idToken);
    if (config.returnTo) q.set('post_logout_redirect_uri', config.returnTo);
    this.clear();
    return `${gateway}/api/v1/logout${q.size ? `?${q}` : ''}`;
  },
};

/**
 * Session mode: the gateway holds the tokens. Everything here is same-origin with the gateway,
 * so the browser sends the session cookie by itself; no script can read it (HttpOnly).
 */
const sessionMode = {
  name: 'session',
  title: 'Session mode (backend for frontend)',
  expiresLabel: 'Session ends if unused until',

  arrive() {
    // A session-mode gateway never sends tokens in the fragment; whatever came is not stored.
  },

  clear() {},

  async who() {
    const res = await fetch('/api/v1/session', { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (res.status === 401) return null;
    if (!res.ok) throw new Error(`GET /api/v1/session answered HTTP ${res.status}`);
    const s = await res.json();
    return {
      name: s.name || s.preferred_username || s.email || s.sub,
      email: s.email || '',
      roles: Array.isArray(s.roles) ? s.roles : [],
      expiresAt: typeof s.expires_at === 'number' ? new Date(s.expires_at * 1000) : null,
    };
  },

  /** Through the gateway's API proxy: `X-CSRF: 1` is what the proxy demands of every call. */
  call(path) {
    return fetch(path, { headers: { 'x-csrf': '1', accept: 'application/json' } });
  },

  /**
   * A navigation, not a fetch: the gateway ends the session and redirects to Zitadel's
   * end_session itself, so the ID token it uses as the hint never passes through this page's
   * scripts (POST /api/v1/session/logout would hand it over inside end_session_url).
   */
  logoutUrl(gateway) {
    return `${gateway}/api/v1/logout`;
  },
};

/** The payload of a JWT as an object (UTF-8), or null. Display only: nothing is verified here. */
function jwtClaims(jwt) {
  try {
    const b64 = String(jwt).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0))));
  } catch {
    return null;
  }
}

function renderMode(mode) {
  $('mode').textContent = mode.title;
  $('mode').dataset.mode = mode.name;
  for (const el of document.querySelectorAll('[data-for-mode]')) el.hidden = el.dataset.forMode !== mode.name;
}

function renderWho(user, mode, api) {
  const status = $('status');
  status.textContent = user ? `Logged in as ${user.name}` : 'Not logged in';
  status.classList.toggle('ok', Boolean(user));
  $('who').hidden = !user;
  if (user) {
    $('who-name').textContent = user.name;
    $('who-email').textContent = user.email || '—';
    $('who-roles').textContent = user.roles.length ? user.roles.join(', ') : '—';
    $('who-expires-label').textContent = mode.expiresLabel;
    const t = $('who-expires');
    t.textContent = user.expiresAt ? user.expiresAt.toLocaleString() : 'unknown';
    if (user.expiresAt) t.dateTime = user.expiresAt.toISOString();
    else t.removeAttribute('datetime');
  }
  $('login').disabled = false;
  $('logout').disabled = !user;
  for (const id of ['protected', 'userinfo']) $(id).disabled = !user || !api;
}

async function main() {
  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    showError(`Cannot load the app configuration (${err instanceof Error ? err.message : String(err)}).`);
    return;
  }
  const mode = config.mode === 'session' ? sessionMode : fragmentMode;
  const gateway = String(config.gatewayUrl || '').replace(/\/+$/, '');
  const api = config.api || null;
  renderMode(mode);
  if (!api) $('no-api').hidden = false;

  const error = arrival && arrival.get('error');
  if (error) {
    const description = arrival.get('error_description');
    showError(`${error}${description ? `: ${description}` : ''}`);
  } else {
    mode.arrive(arrival);
  }

  const refresh = async () => {
    let user = null;
    try {
      user = await mode.who();
    } catch (err) {
      showError(`Cannot tell who is logged in (${err instanceof Error ? err.message : String(err)}).`);
    }
    renderWho(user, mode, api);
    return user;
  };

  /** Calls the demo API and shows the status and body; a 401 means the login is over. */
  const callApi = async (path) => {
    show(`GET ${path} …`);
    try {
      const res = await mode.call(path);
      show({ status: res.status, body: await readBody(res) });
      if (res.status === 401) mode.clear();
    } catch (err) {
      show(`Request failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Session mode: every call slides the idle timeout, so the shown end moves too.
    await refresh();
  };

  $('login').addEventListener('click', () => {
    const q = new URLSearchParams();
    if (config.returnTo) q.set('return_to', config.returnTo);
    location.assign(`${gateway}/api/v1/login${q.size ? `?${q}` : ''}`);
  });
  if (api) {
    $('protected').addEventListener('click', () => callApi(api.protected));
    $('userinfo').addEventListener('click', () => callApi(api.userinfo));
  }
  $('logout').addEventListener('click', () => {
    const target = mode.logoutUrl(gateway, config);
    renderWho(null, mode, api);
    location.assign(target);
  });

  await refresh();
  document.body.dataset.ready = 'true';
}

void main();
