import { test } from 'bun:test';
import { startGatewayLogin, finishGatewayLogin } from '/work/main/tests/support/gateway-login.ts';
import { run, cleanEnv } from './process.ts';
test('x', async () => {
  const dev = run([process.env.BIN!, 'dev', '--port', '0', '--idp-port', '0', '--spa-port', '0'], { cwd: '/tmp/devtry', env: cleanEnv({ ZITAUTH_LOG_LEVEL: 'debug' }) });
  await dev.waitFor(/Press Ctrl-C/);
  const out = dev.output();
  const gateway = out.match(/SPA \(via gateway\)\s+(http:\/\/localhost:\d+)\//)![1]!;
  const issuer = out.match(/Development IdP\s+(http:\/\/127\.0\.0\.1:\d+)/)![1]!;
  const p = await startGatewayLogin({ issuer }, gateway);
  const r = await finishGatewayLogin(p);
  console.log(r.status, await r.text());
  await dev.stop(); console.log(dev.output().split('\n').filter((l) => /PKCE|rror/.test(l)).join('\n'));
});
