import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_USER } from '../devidp/index.ts';
import type { DevStack } from './stack.ts';

/** The M2M examples, relative to the directory `zitauth dev` runs in (a clone of the sources). */
export const M2M_EXAMPLES = ['examples/m2m-sim.ts', 'examples/python/m2m_sim.py'] as const;

/**
 * How to try the M2M flow against this gateway. From a clone, the examples (told where the
 * gateway is: `zitauth dev` may not be on :8000); from a lone binary, which has no examples/
 * beside it, the same two requests with curl.
 */
export function m2mHint(gatewayUrl: string, haveExamples: boolean): string[] {
  if (haveExamples) {
    return [
      ' Try the M2M flow:',
      `   ZITAUTH_URL=${gatewayUrl} npx -y bun@1.4 ${M2M_EXAMPLES[0]}`,
      `   ZITAUTH_URL=${gatewayUrl} python3 ${M2M_EXAMPLES[1]}`,
    ];
  }
  return [
    ' Try the M2M flow (a service-user token, then the demo API with it):',
    `   curl -s ${gatewayUrl}/api/v1/m2m-token`,
    `   curl -s -H "Authorization: Bearer <access_token>" ${gatewayUrl}/api/protected`,
  ];
}

/**
 * The text `zitauth dev` prints once everything listens. No secrets: key files are named, not shown.
 * `cwd` is where the examples are looked for (the process's working directory by default).
 */
export function devBanner(s: DevStack, version: string, cwd: string = process.cwd()): string {
  const line = '─'.repeat(72);
  const session = s.loginMode === 'session';
  const rows: [string, string][] = [
    [session ? 'SPA (session mode)' : 'SPA (fragment mode)', `${s.gatewayUrl}/`],
    ...(s.spaUrl ? ([['SPA (fragment mode, own origin)', `${s.spaUrl}/`]] as [string, string][]) : []),
    ...(s.fragmentGatewayUrl ? ([['Fragment-mode gateway', s.fragmentGatewayUrl]] as [string, string][]) : []),
    ['Gateway API docs', `${s.gatewayUrl}/swagger`],
    ['Gateway health', `${s.gatewayUrl}/healthz`],
    ['Development IdP', s.idp.issuer],
    ['Demo user', `${DEMO_USER.username} / ${DEMO_USER.password}`],
    ['Service-user key', s.files.serviceUserKey],
    ['API-app key', s.files.apiAppKey],
    ['Gateway config', s.files.env],
    ...(s.files.fragmentEnv ? ([['Fragment gateway config', s.files.fragmentEnv]] as [string, string][]) : []),
  ];
  // Why the recommended mode is missing, when it is.
  const note = session
    ? []
    : [' Session mode needs https or a loopback address (its cookie is Secure elsewhere): the gateway runs in fragment mode.', ''];
  const w = Math.max(...rows.map(([k]) => k.length));
  return [
    line,
    ` ZitAuth ${version} — dev mode`,
    line,
    ...rows.map(([k, v]) => ` ${k.padEnd(w)}  ${v}`),
    '',
    ...note,
    ...m2mHint(s.gatewayUrl, M2M_EXAMPLES.every((f) => existsSync(join(cwd, f)))),
    '',
    ' DEVELOPMENT ONLY: a throw-away IdP with a known password and fresh keys on every start.',
    ' Never expose it or use its keys for anything real. Press Ctrl-C to stop.',
    line,
  ].join('\n');
}
