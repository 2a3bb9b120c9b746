/**
 * Parsing a command's arguments: `--help` on every command, values that start with `-` (a negative
 * threshold is a value to reject with a reason, not an "ambiguous argument"), and parse errors as
 * one line that points at the help.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export type ParsedValues = Readonly<Record<string, string | boolean | undefined>>;

/** The values of `args`, or undefined after printing the usage for `--help`. */
export function parseCommandArgs(command: string, args: readonly string[], options: Options, usage: string): ParsedValues | undefined {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return undefined;
  }
  try {
    const { values } = parseArgs({ args: attachValues(args, options), options, strict: true, allowPositionals: false });
    return values as ParsedValues;
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\s*To specify .*$/s, '')} (rx-rrm ${command} --help lists the options)`);
  }
}

/** `--threshold -1` as `--threshold=-1`: parseArgs would take `-1` for an option. */
function attachValues(args: readonly string[], options: Options): string[] {
  const result: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    const next = args[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && next.startsWith('-') && next !== '--') {
      result.push(`${arg}=${next}`);
      i++;
    } else {
      result.push(arg);
    }
  }
  return result;
}
