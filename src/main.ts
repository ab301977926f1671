#!/usr/bin/env bun
/**
 * CLI entry of the compiled binary and the only place that calls process.exit.
 *   zitauth [serve]       run the gateway (configuration from the environment and ./.env)
 *   zitauth check-config  validate the configuration, list every problem, exit 0/1
 *   zitauth dev           gateway + embedded development IdP + SPA, no Zitadel needed
 *   zitauth provision     set up a Zitadel instance for ZitAuth and write .env
 *   zitauth healthcheck   exit 0 when the local gateway answers /healthz (container HEALTHCHECK)
 */
import { ConfigError, loadConfig, readEnvironment, type Config } from './config/index.ts';
import { createServices } from './services.ts';
import { createApp, listenApp } from './app.ts';
import { VERSION } from './version.ts';

const HELP = `ZitAuth ${VERSION} — authentication gateway for Zitadel

Usage: zitauth [command] [options]

Commands:
  serve          Run the gateway (default). Reads the environment and ./.env
  check-config   Validate the configuration and exit 0 (ok) or 1 (problems listed)
  dev            Run a complete local demo: development IdP + gateway + SPA (no Zitadel needed)
  provision      Create the Zitadel project, apps, service user and keys; write .env
  healthcheck    Exit 0 if the gateway on 127.0.0.1:$PORT answers /healthz

Options:
  -h, --help     Show this help
  -v, --version  Print the version

Configuration: see .env.example or https://github.com/ (README, "Configuration").`;

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

async function main(argv: string[]): Promise<number> {
  const [cmd = 'serve', ...rest] = argv;
  switch (cmd) {
    case '-h':
    case '--help':
    case 'help':
      console.log(HELP);
      return 0;
    case '-v':
    case '--version':
    case 'version':
      console.log(VERSION);
      return 0;
    case 'check-config': {
      try {
        const c = loadConfig(readEnvironment());
        console.log(`Configuration OK (issuer ${c.issuer}, client ${c.clientId}).`);
        return 0;
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(err.message);
          return 1;
        }
        throw err;
      }
    }
    case 'serve': {
      const { app, services } = await serve(loadOrExit());
      const stop = async (signal: string) => {
        services.logger.info('shutting down', { signal });
        await app.stop();
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
      const { runHealthcheck } = await import('./cli/healthcheck.ts');
      return runHealthcheck(readEnvironment());
    }
    default:
      console.error(`Unknown command "${cmd}".\n\n${HELP}`);
      return 2;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
}
