#!/usr/bin/env node
/**
 * The rx-rrm command: `run`, `tune` and `inspect`. Mistakes (a missing file, an unsupported
 * operator, an input that does not fit, an unreachable socket) print one line and exit 1; the stack
 * trace only with --verbose.
 */
import { inspectCommand, INSPECT_USAGE } from './commands/inspect.js';
import { runCommand, RUN_USAGE } from './commands/run.js';
import { tuneCommand, TUNE_USAGE } from './commands/tune.js';

const USAGE = `usage:\n${RUN_USAGE}\n\n${TUNE_USAGE}\n\n${INSPECT_USAGE}`;
const commands: Record<string, (args: string[]) => Promise<void>> = { run: runCommand, tune: tuneCommand, inspect: inspectCommand };

const [name, ...args] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(name && name !== '--help' && name !== 'help' ? `rx-rrm: unknown command '${name}'\n${USAGE}` : USAGE);
  process.exit(name === '--help' || name === 'help' ? 0 : 2);
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
