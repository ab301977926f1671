/** Argument handling shared by the subcommands that take only switches (serve, check-config, healthcheck). */

/** An unusable command line; the message is shown with the command's usage (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** At most 80 characters of `s` with control characters as `?`: safe to echo from a command line. */
export const printable = (s: string): string => s.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 80);

/**
 * Splits `argv` into `-h`/`--help` and the allowed switches; anything else is a UsageError
 * naming it, so a typo (`--prob`) is not silently ignored.
 */
export function splitArgs(argv: readonly string[], allowed: readonly string[] = []): { help: boolean; flags: Set<string> } {
  const flags = new Set<string>();
  let help = false;
  for (const arg of argv) {
    if (arg === '-h' || arg === '--help') help = true;
    else if (allowed.includes(arg)) flags.add(arg);
    else throw new UsageError(`unknown option "${printable(arg)}"`);
  }
  return { help, flags };
}
