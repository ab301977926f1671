#!/usr/bin/env bun
/**
 * Machine-to-machine demo (the original ZitAuth's m2m_sim.py, in TypeScript with the typed
 * client `@zitauth/client`, here from its source in client/):
 *   1. make sure a ZitAuth gateway answers at ZITAUTH_URL (GET /healthz),
 *   2. ask it for a service-user access token (GET /api/v1/m2m-token),
 *   3. call a protected API with it (GET /api/protected, which asks the gateway to validate it),
 *   4. print what the API answered.
 *
 *   ZITAUTH_URL=http://localhost:8000 bun examples/m2m-sim.ts   # the URL `zitauth dev` prints
 *
 * Environment: ZITAUTH_URL (gateway, default http://localhost:8000), PROTECTED_API_URL (default:
 * ZITAUTH_URL, where `zitauth dev` serves the demo API), ZITAUTH_API_KEY (when the gateway sets
 * ZITAUTH_M2M_API_KEYS). The token itself is never printed.
 */
import { bearer, createZitAuthClient, EdenFetchError } from '../client/src/index.ts';

const gatewayUrl = (process.env.ZITAUTH_URL ?? 'http://localhost:8000').replace(/\/+$/, '');
const apiUrl = (process.env.PROTECTED_API_URL ?? gatewayUrl).replace(/\/+$/, '');
const apiKey = process.env.ZITAUTH_API_KEY;
const HINT = '"zitauth dev" prints the gateway URL to use as ZITAUTH_URL (start it with "npx -y bun@1.4 run dev")';

const zitauth = createZitAuthClient(gatewayUrl);

/** What answered at `url`, for a message: the status and content type of something that is not ZitAuth. */
const describe = (r: Response) => `HTTP ${r.status}${r.headers.get('content-type') ? `, ${r.headers.get('content-type')}` : ''}`;

/**
 * Why a request got no answer (ECONNREFUSED, ENOTFOUND, a timeout): the client rejects with an
 * EdenFetchError around fetch's error (Bun puts the code on it, Node on its `cause`).
 */
const unreachable = (err: unknown): string => {
  const e = (err instanceof EdenFetchError ? err.value : err) as { code?: string; cause?: { code?: string }; message?: string } | null;
  return e?.code ?? e?.cause?.code ?? e?.message ?? String(err);
};

async function main(): Promise<number> {
  // Is it a ZitAuth gateway? Anything else on that port (another dev server, a proxy's 503)
  // would otherwise show up as a puzzling failure of the token request.
  let health;
  try {
    health = await zitauth.healthz.get();
  } catch (err) {
    console.error(`[m2m] no gateway answers at ${gatewayUrl} (${unreachable(err)}). ${HINT}.`);
    return 1;
  }
  if (health.data?.status !== 'ok') {
    console.error(`[m2m] ${gatewayUrl} is not a ZitAuth gateway: /healthz answered ${describe(health.response)}. ${HINT}.`);
    return 1;
  }
  console.log(`[m2m] ZitAuth ${health.data.version} at ${gatewayUrl}; requesting a service-user token (/api/v1/m2m-token)`);

  let tokenRes;
  try {
    tokenRes = await zitauth.api.v1['m2m-token'].get({ headers: apiKey ? bearer(apiKey) : {} });
  } catch (err) {
    console.error(`[m2m] the gateway at ${gatewayUrl} stopped answering (${unreachable(err)}).`);
    return 1;
  }
  if (tokenRes.error) {
    const body = tokenRes.error.value as { error?: string; error_description?: string } | undefined;
    console.error(`[m2m] token request failed: HTTP ${tokenRes.status} ${body?.error ?? ''} ${body?.error_description ?? ''}`.trim());
    return 1;
  }
  const { access_token, token_type, expires_in } = tokenRes.data;
  console.log(`[m2m] received a ${token_type} token (${access_token.length} characters, expires in ${expires_in} s)`);

  console.log(`[m2m] calling the protected API ${apiUrl}/api/protected`);
  let res: Response;
  try {
    res = await fetch(`${apiUrl}/api/protected`, { headers: { ...bearer(access_token), accept: 'application/json' } });
  } catch (err) {
    console.error(`[m2m] no protected API answers at ${apiUrl} (${unreachable(err)}); set PROTECTED_API_URL.`);
    return 1;
  }
  const body = await res.json().catch(() => null);
  if (res.status === 404 && apiUrl === gatewayUrl) {
    console.error(`[m2m] the gateway at ${gatewayUrl} serves no demo API (it does with ZITAUTH_SERVE_SPA=true, as in "zitauth dev"); set PROTECTED_API_URL to your API.`);
    return 1;
  }
  if (!res.ok) {
    console.error(`[m2m] protected API refused: HTTP ${res.status} ${JSON.stringify(body)}`);
    return 1;
  }
  console.log(`[m2m] protected API answered HTTP ${res.status}:`);
  console.log(JSON.stringify(body, null, 2));
  return 0;
}

process.exitCode = await main();
