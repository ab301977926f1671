#!/usr/bin/env bun
/**
 * Machine-to-machine demo (the original ZitAuth's m2m_sim.py, in TypeScript with Eden Treaty):
 *   1. ask the gateway for a service-user access token (GET /api/v1/m2m-token, typed by `App`),
 *   2. call a protected API with it (GET /api/protected, which asks the gateway to validate it),
 *   3. print what the API answered.
 *
 *   bun examples/m2m-sim.ts            # against `zitauth dev` (http://localhost:8000)
 *
 * Environment: ZITAUTH_URL (gateway, default http://localhost:8000), PROTECTED_API_URL (default:
 * ZITAUTH_URL, where `zitauth dev` serves the demo API), ZITAUTH_API_KEY (when the gateway sets
 * ZITAUTH_M2M_API_KEYS). The token itself is never printed.
 */
import { treaty } from '@elysiajs/eden';
import type { App } from '../src/app.ts';

const gatewayUrl = (process.env.ZITAUTH_URL ?? 'http://localhost:8000').replace(/\/+$/, '');
const apiUrl = (process.env.PROTECTED_API_URL ?? gatewayUrl).replace(/\/+$/, '');
const apiKey = process.env.ZITAUTH_API_KEY;

const gateway = treaty<App>(gatewayUrl);

async function main(): Promise<number> {
  console.log(`[m2m] requesting a service-user token from ${gatewayUrl}/api/v1/m2m-token`);
  const tokenRes = await gateway.api.v1['m2m-token'].get({ headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  if (tokenRes.error) {
    const body = tokenRes.error.value as { error?: string; error_description?: string };
    console.error(`[m2m] token request failed: HTTP ${tokenRes.status} ${body?.error ?? ''} ${body?.error_description ?? ''}`.trim());
    return 1;
  }
  const { access_token, token_type, expires_in } = tokenRes.data;
  console.log(`[m2m] received a ${token_type} token (${access_token.length} characters, expires in ${expires_in} s)`);

  console.log(`[m2m] calling the protected API ${apiUrl}/api/protected`);
  const res = await fetch(`${apiUrl}/api/protected`, { headers: { authorization: `Bearer ${access_token}`, accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    console.error(`[m2m] protected API refused: HTTP ${res.status} ${JSON.stringify(body)}`);
    return 1;
  }
  console.log(`[m2m] protected API answered HTTP ${res.status}:`);
  console.log(JSON.stringify(body, null, 2));
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(`[m2m] failed: ${err instanceof Error ? err.message : String(err)} (is the gateway running? try "bun run dev")`);
  process.exitCode = 1;
}
