// ZitAuth SPA demo: plain browser JavaScript, loaded as a file (CSP script-src 'self', no inline code).
// Flow: "Login via ZitAuth" navigates to the gateway, which runs the OIDC login with Zitadel and
// comes back here with #access_token=…&id_token=… in the fragment (fragments never reach a server).
'use strict';

const KEYS = { access: 'zitauth.access_token', id: 'zitauth.id_token', expires: 'zitauth.expires_at' };
const $ = (id) => document.getElementById(id);

/** Server-provided settings: where the gateway is, and where it should send the browser back to. */
async function loadConfig() {
  const res = await fetch('/spa-config.json', { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`spa-config.json answered HTTP ${res.status}`);
  return res.json();
}

/** Moves tokens (or an error) from the fragment into the page, then removes the fragment from the URL. */
function takeFragment() {
  // After logout the IdP returns with the gateway's `?state=…`; nothing to do with it here.
  if (!location.hash && new URLSearchParams(location.search).has('state')) history.replaceState(null, '', location.pathname);
  if (!location.hash || location.hash.length < 2) return;
  const params = new URLSearchParams(location.hash.slice(1));
  // Replace the history entry first: the tokens must not stay in the address bar or the history.
  history.replaceState(null, '', location.pathname + location.search);
  const error = params.get('error');
  if (error) {
    showError(`${error}${params.get('error_description') ? `: ${params.get('error_description')}` : ''}`);
    return;
  }
  const access = params.get('access_token');
  if (!access) return;
  sessionStorage.setItem(KEYS.access, access);
  const idToken = params.get('id_token');
  if (idToken) sessionStorage.setItem(KEYS.id, idToken);
  const expiresIn = Number(params.get('expires_in'));
  if (Number.isFinite(expiresIn) && expiresIn > 0) sessionStorage.setItem(KEYS.expires, String(Date.now() + expiresIn * 1000));
}

function token() {
  const at = sessionStorage.getItem(KEYS.access);
  const exp = Number(sessionStorage.getItem(KEYS.expires));
  if (at && exp && Date.now() >= exp) {
    clearTokens();
    return null;
  }
  return at;
}

function clearTokens() {
  for (const k of Object.values(KEYS)) sessionStorage.removeItem(k);
}

function showError(text) {
  const el = $('error');
  el.textContent = text;
  el.hidden = false;
}

function render() {
  const loggedIn = Boolean(token());
  const status = $('status');
  status.textContent = loggedIn ? 'Access token received' : 'Not logged in';
  status.classList.toggle('ok', loggedIn);
  $('login').disabled = false;
  for (const id of ['protected', 'userinfo', 'logout']) $(id).disabled = !loggedIn;
}

function show(value) {
  $('output').textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** Calls this app's own API with the bearer token and shows the status and body. */
async function callApi(path) {
  const at = token();
  if (!at) return render();
  show(`GET ${path} …`);
  try {
    const res = await fetch(path, { headers: { authorization: `Bearer ${at}`, accept: 'application/json' } });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    show({ status: res.status, body });
    if (res.status === 401) {
      clearTokens();
      render();
    }
  } catch (err) {
    show(`Request failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function main() {
  takeFragment();
  render();
  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    showError(`Cannot load the app configuration (${err instanceof Error ? err.message : String(err)}).`);
    return;
  }
  const gateway = String(config.gatewayUrl || '').replace(/\/+$/, '');

  $('login').addEventListener('click', () => {
    const q = new URLSearchParams();
    if (config.returnTo) q.set('return_to', config.returnTo);
    location.assign(`${gateway}/api/v1/login${q.size ? `?${q}` : ''}`);
  });
  $('protected').addEventListener('click', () => callApi('/api/protected'));
  $('userinfo').addEventListener('click', () => callApi('/api/userinfo'));
  $('logout').addEventListener('click', () => {
    const q = new URLSearchParams();
    const idToken = sessionStorage.getItem(KEYS.id);
    if (idToken) q.set('id_token_hint', idToken);
    if (config.returnTo) q.set('post_logout_redirect_uri', config.returnTo);
    clearTokens();
    render();
    location.assign(`${gateway}/api/v1/logout${q.size ? `?${q}` : ''}`);
  });
  document.body.dataset.ready = 'true';
}

void main();
