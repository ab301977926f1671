/** Help texts of the top-level command and of `serve` (the other commands keep theirs beside their code). */
import { VERSION } from '../version.ts';

export const MAIN_HELP = `ZitAuth ${VERSION} — authentication gateway for Zitadel

Usage: zitauth [command] [options]

Commands:
  serve          Run the gateway (default). Reads the environment and ./.env
  check-config   Validate the configuration and exit 0 (ok) or 1 (problems listed);
                 --probe also loads the identity provider's metadata and JWKS
  dev            Run a complete local demo: development IdP + gateway + SPA (no Zitadel needed)
  provision      Create the Zitadel project, apps, service user and keys; write .env
  healthcheck    Exit 0 if the gateway on 127.0.0.1:$PORT answers /healthz

Options:
  -h, --help     Show this help ("zitauth <command> --help" for a command's own)
  -v, --version  Print the version

Configuration: every variable is described in .env.example and in README.md ("Configuration")
of the ZitAuth sources; "zitauth check-config --probe" checks a configuration end to end.`;

export const SERVE_USAGE = `Usage: zitauth serve

Runs the gateway. The configuration comes from the environment, then ./.env (variables set in
the environment win); "zitauth check-config" validates it without starting. It listens on
ZITAUTH_HOST:PORT (default 0.0.0.0:8000) and stops gracefully on SIGTERM or SIGINT.

Options:
  -h, --help   Show this help`;
