#!/usr/bin/env bun
/**
 * CLI entry of the compiled binary and the only place that calls process.exit.
 *   zitauth [serve]       run the gateway (configuration from the environment and ./.env)
 *   zitauth check-config  validate the configuration, list every problem, exit 0/1 (--probe: ask the IdP too)
 *   zitauth dev           gateway + embedded development IdP + SPA, no Zitadel needed
 *   zitauth provision     set up a Zitadel instance for ZitAuth and write .env
 *   zitauth healthcheck   exit 0 when the local gateway answers /healthz (container HEALTHCHECK)
 */
import { ConfigError, loadConfig, readEnvironment, type Config } from './config/index.ts';
import { createServices } from './services.ts';
import { createApp, listenApp } from './app.ts';
import { VERSION } from './version.ts';
import { MAIN_HELP, SERVE_USAGE } from './cli/help.ts';
import { printable, splitArgs, UsageError } from './cli/args.ts';
import { portInUse, portInUseMessage } from './cli/port-in-use.ts';

export async function serve(config: Config, opts: { onListen?: (url: string) => void } = {}) {
  const services = await createServices(config);
  const app = listenApp(createApp(services), { port: config.port, hostname: config.host });
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${app.server!.port}`;
  services.logger.info('zitauth listening', { url, version: VERSION, issuer: config.issuer });
  // Warm discovery and JWKS so the first /validate does not pay for them; failures are retried later.
  void services.validator.get().catch((err: Error) => services.logger.warn('identity provider not reachable yet', { detail: err.message }));
  opts.onListen?.(url);
  return { app, services, url };
}

function loadOrExit(): Config {
  try {
    return loadConfig(readEnvironment());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * For commands without options of their own: prints the usage for -h/--help (exit 0) or for an
 * unknown argument (exit 2); undefined means "run the command".
 */
function helpOrUsageError(cmd: string, usage: string, argv: string[]): number | undefined {
  try {
    if (!splitArgs(argv).help) return undefined;
    console.log(usage);
    return 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`zitauth ${cmd}: ${err.message}\n\n${usage}`);
    return 2;
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd = 'serve', ...rest] = argv;
  switch (cmd) {
    case '-h':
    case '--help':
    case 'help':
      console.log(MAIN_HELP);
      return 0;
    case '-v':
    case '--version':
    case 'version':
      console.log(VERSION);
      return 0;
    case 'check-config': {
      const { runCheckConfig } = await import('./cli/check-config.ts');
      return runCheckConfig(rest, readEnvironment());
    }
    case 'serve': {
      const early = helpOrUsageError('serve', SERVE_USAGE, rest);
      if (early !== undefined) return early;
      const config = loadOrExit();
      let running;
      try {
        running = await serve(config);
      } catch (err) {
        const port = portInUse(err);
        if (port === undefined) throw err;
        console.error(`zitauth serve: cannot start: ${portInUseMessage(port, [{ port: config.port, setting: 'PORT' }], { host: config.host })}`);
        return 1;
      }
      const { app, services } = running;
      const stop = async (signal: string) => {
        services.logger.info('shutting down', { signal });
        await app.stop();
        await services.stores.close().catch(() => {});
        services.logger.flush();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
      return -1; // keep running
    }
    case 'dev': {
      const { runDev } = await import('./dev/index.ts');
      return runDev(rest);
    }
    case 'provision': {
      const { runProvision } = await import('./provision/index.ts');
      return runProvision(rest, process.env);
    }
    case 'healthcheck': {
      const { HEALTHCHECK_USAGE, runHealthcheck } = await import('./cli/healthcheck.ts');
      const early = helpOrUsageError('healthcheck', HEALTHCHECK_USAGE, rest);
      if (early !== undefined) return early;
      return runHealthcheck(readEnvironment());
    }
    default:
      console.error(`Unknown command "${printable(cmd)}".\n\n${MAIN_HELP}`);
      return 2;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
}
