import { DEMO_USER } from '../devidp/index.ts';
import type { DevStack } from './stack.ts';

/** The text `zitauth dev` prints once everything listens. No secrets: key files are named, not shown. */
export function devBanner(s: DevStack, version: string): string {
  const line = '─'.repeat(72);
  const rows: [string, string][] = [
    ['SPA (via gateway)', `${s.gatewayUrl}/`],
    ...(s.spaUrl ? ([['SPA (own origin)', `${s.spaUrl}/`]] as [string, string][]) : []),
    ['Gateway API docs', `${s.gatewayUrl}/swagger`],
    ['Gateway health', `${s.gatewayUrl}/healthz`],
    ['Development IdP', s.idp.issuer],
    ['Demo user', `${DEMO_USER.username} / ${DEMO_USER.password}`],
    ['Service-user key', s.files.serviceUserKey],
    ['API-app key', s.files.apiAppKey],
    ['Gateway config', s.files.env],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return [
    line,
    ` ZitAuth ${version} — dev mode`,
    line,
    ...rows.map(([k, v]) => ` ${k.padEnd(w)}  ${v}`),
    '',
    ' Try the M2M flow:  npx -y bun@1.4 examples/m2m-sim.ts   or   python3 examples/python/m2m_sim.py',
    '',
    ' DEVELOPMENT ONLY: a throw-away IdP with a known password and fresh keys on every start.',
    ' Never expose it or use its keys for anything real. Press Ctrl-C to stop.',
    line,
  ].join('\n');
}
