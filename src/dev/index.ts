/**
 * `zitauth dev`: the whole demo with no Zitadel — development IdP, gateway, SPA.
 * @see ./stack.ts for the wiring, ./options.ts for the flags.
 */
import { UsageError } from '../cli/args.ts';
import { VERSION } from '../version.ts';
import { devBanner } from './banner.ts';
import { DEV_USAGE, devStartFailure, parseDevArgs } from './options.ts';
import { startDev } from './stack.ts';

export { startDev, publicHost, type DevStack } from './stack.ts';
export { parseDevArgs, type DevOptions } from './options.ts';

/** Runs until SIGINT/SIGTERM, then stops everything; resolves to the exit code. */
export async function runDev(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseDevArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`zitauth dev: ${err.message}\n\n${DEV_USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    console.log(DEV_USAGE);
    return 0;
  }
  let stack;
  try {
    stack = await startDev(opts);
  } catch (err) {
    console.error(`zitauth dev: cannot start: ${devStartFailure(err, opts)}`);
    return 1;
  }
  console.log(devBanner(stack, VERSION));
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  stack.services.logger.info('shutting down', { signal });
  await stack.close();
  return 0;
}
