#!/usr/bin/env node
/**
 * The rx-rrm command: `run`, `tune` and `inspect`. Mistakes (a missing file, an unsupported
 * operator, an input that does not fit, an unreachable socket) print one line and exit 1; the stack
 * trace only with --verbose.
 */
import { readFileSync } from 'node:fs';
import { inspectCommand, INSPECT_USAGE } from './commands/inspect.js';
import { runCommand, RUN_USAGE } from './commands/run.js';
import { tuneCommand, TUNE_USAGE } from './commands/tune.js';

const USAGE = `usage: rx-rrm <command> [options]   (rx-rrm <command> --help for one command, rx-rrm --version)\n\n${RUN_USAGE}\n\n${TUNE_USAGE}\n\n${INSPECT_USAGE}`;
const commands: Record<string, (args: string[]) => Promise<void>> = { run: runCommand, tune: tuneCommand, inspect: inspectCommand };

const [name, ...args] = process.argv.slice(2);
if (name === '--version' || name === '-v') {
  // package.json sits two folders up from both src/cli/ and dist/cli/.
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  console.log(version);
  process.exit(0);
}
const wantsHelp = name === '--help' || name === '-h' || name === 'help';
const command = name ? commands[name] : undefined;
if (!command) {
  if (wantsHelp) console.log(USAGE);
  else if (name === undefined) console.error(USAGE);
  else console.error(`rx-rrm: unknown command '${name}': expected run, tune or inspect (rx-rrm --help shows them)`);
  process.exit(wantsHelp ? 0 : 2);
}
try {
  await command(args);
  // Live sources and worker pools must not keep a finished run alive.
  process.exit(process.exitCode ?? 0);
} catch (error) {
  const err = error as Error;
  console.error(`rx-rrm ${name}: ${err.message}`);
  if (args.includes('--verbose')) console.error(err.stack);
  process.exit(1);
}
