/**
 * The rx-rrm command as a function of its arguments: `run`, `tune`, `inspect`, and `serve`, `publish`
 * and `status` for the Redis worker pool; `--help` and
 * `--version`. Mistakes (a missing file, an unsupported operator, an input that does not fit, an
 * unreachable socket) print one line and give exit code 1; the stack trace only with --verbose.
 */
import { readFileSync } from 'node:fs';
import { inspectCommand, INSPECT_USAGE } from './commands/inspect.js';
import { publishCommand, PUBLISH_USAGE } from './commands/publish.js';
import { runCommand, RUN_USAGE } from './commands/run.js';
import { serveCommand, SERVE_USAGE } from './commands/serve.js';
import { statusCommand, STATUS_USAGE } from './commands/status.js';
import { tuneCommand, TUNE_USAGE } from './commands/tune.js';

const USAGE = `usage: rx-rrm <command> [options]   (rx-rrm <command> --help for one command, rx-rrm --version)\n\n${RUN_USAGE}\n\n${TUNE_USAGE}\n\n${INSPECT_USAGE}\n\n${SERVE_USAGE}\n\n${PUBLISH_USAGE}\n\n${STATUS_USAGE}`;
const commands: Record<string, (args: string[]) => Promise<void>> = {
  run: runCommand, tune: tuneCommand, inspect: inspectCommand, serve: serveCommand, publish: publishCommand, status: statusCommand,
};

/** Runs one command line; resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-v') {
    // package.json sits two folders up from both src/cli/ and dist/cli/.
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(version);
    return 0;
  }
  const command = name ? commands[name] : undefined;
  if (!command) {
    if (name === '--help' || name === '-h' || name === 'help') {
      console.log(USAGE);
      return 0;
    }
    console.error(name === undefined ? USAGE : `rx-rrm: unknown command '${name}': expected run, tune, inspect, serve, publish or status (rx-rrm --help shows them)`);
    return 2;
  }
  try {
    process.exitCode = undefined;
    await command(args);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const err = error as Error;
    console.error(`rx-rrm ${name}: ${err.message}`);
    if (args.includes('--verbose')) console.error(err.stack);
    return 1;
  } finally {
    process.exitCode = undefined;
  }
}
