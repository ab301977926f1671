import { printable, UsageError } from '../cli/args.ts';
import { portInUse, portInUseMessage, type PortSource } from '../cli/port-in-use.ts';

/** Command-line options of `zitauth dev`. */
export interface DevOptions {
  /** Gateway port (session mode, SPA embedded at /); 0 = pick a free one. */
  port: number;
  /** Development IdP port; 0 = pick a free one. */
  idpPort: number;
  /** Standalone SPA port (the original demo's :3001); 0 = pick a free one, null = do not start it. */
  spaPort: number | null;
  /**
   * Port of the second, fragment-mode gateway the standalone SPA logs in through (one gateway
   * has one login mode); 0 = pick a free one. Unused with --no-spa.
   */
  fragmentPort: number;
  /** Bind address of every listener; loopback unless asked otherwise. */
  host: string;
  /** Where the demo key files are written. */
  dir: string;
}

export const DEV_USAGE = `Usage: zitauth dev [options]

Runs a complete local demo with no Zitadel: a Zitadel-shaped development IdP; the gateway wired
to it in session mode, serving the example SPA at / (the tokens stay in the gateway); and the SPA
on its own origin in fragment mode (the original setup), through a second, fragment-mode gateway.
DEVELOPMENT ONLY.

Options:
  --port <n>           Gateway port (default: $PORT or 8000; 0 = any free port)
  --idp-port <n>       Development IdP port (default 8080; 0 = any free port)
  --spa-port <n>       Standalone SPA port (default 3001; 0 = any free port)
  --fragment-port <n>  Fragment-mode gateway port for the standalone SPA (default 8001; 0 = any free port)
  --no-spa             Start neither the standalone SPA nor its gateway (the gateway still serves the SPA at /)
  --host <addr>        Bind address (default 127.0.0.1, loopback only)
  --dir <path>         Directory for the demo key files (default ./.zitauth-dev)
  -h, --help           Show this help`;

const port = (flag: string, v: string | undefined): number => {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`${flag} needs a port number (0-65535), got "${printable(v ?? '')}"`);
  return Number(v);
};

/** Parses `zitauth dev` arguments; returns 'help' for -h/--help. */
export function parseDevArgs(argv: string[], env: Record<string, string | undefined> = process.env): DevOptions | 'help' {
  const o: DevOptions = {
    port: env.PORT ? port('PORT', env.PORT) : 8000,
    idpPort: 8080,
    spaPort: 3001,
    fragmentPort: 8001,
    host: '127.0.0.1',
    dir: '.zitauth-dev',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--port':
        o.port = port(flag, value());
        break;
      case '--idp-port':
        o.idpPort = port(flag, value());
        break;
      case '--spa-port':
        o.spaPort = port(flag, value());
        break;
      case '--fragment-port':
        o.fragmentPort = port(flag, value());
        break;
      case '--no-spa':
        o.spaPort = null;
        break;
      case '--host': {
        const h = value();
        if (!h) throw new UsageError('--host needs an address');
        o.host = h;
        break;
      }
      case '--dir': {
        const d = value();
        if (!d) throw new UsageError('--dir needs a path');
        o.dir = d;
        break;
      }
      default:
        throw new UsageError(`unknown option "${printable(arg)}"`);
    }
  }
  return o;
}

/** The listeners `zitauth dev` starts and the flag that moves each (0 = chosen when started). */
export function devPorts(o: DevOptions): PortSource[] {
  return [
    { port: o.port, setting: '--port' },
    { port: o.idpPort, setting: '--idp-port' },
    ...(o.spaPort === null
      ? []
      : [
          { port: o.spaPort, setting: '--spa-port' },
          { port: o.fragmentPort, setting: '--fragment-port' },
        ]),
  ];
}

/** Why `zitauth dev` could not start, in terms of its flags where the cause is a busy port. */
export function devStartFailure(err: unknown, o: DevOptions): string {
  if ((err as { code?: unknown } | null)?.code === 'EADDRINUSE') {
    return portInUseMessage(portInUse(err), devPorts(o), { host: o.host, hint: '0 picks a free port' });
  }
  return err instanceof Error ? err.message : String(err);
}
