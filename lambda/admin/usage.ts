// What the admin command's parts share about their arguments: the error for a wrong one, and the
// checks they all make.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line the command can't run: said to the user with how to use it, exit status 2. */
export class UsageError extends Error {}

/** Options and positionals of `argv`; an unknown or malformed option is a UsageError ending in `usage`. */
export function parseOptions<const Options extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: Options,
  usage?: string,
) {
  try {
    return parseArgs({ args: argv, allowPositionals: true as const, options });
  } catch (error) {
    const message = (error as Error).message;
    throw new UsageError(usage ? `${message}\n\n${usage}` : message);
  }
}

export function accountOption(value: string | undefined, name = '--account'): string {
  if (!value || !/^\d{12}$/.test(value)) throw new UsageError(`${name} must be a 12-digit account ID`);
  return value;
}
