/**
 * The rx-rrm command in the test's own process, its console output captured (a process per call
 * would spend most of a test starting ts-node).
 */
import { format } from 'node:util';
import { runCli } from '../../src/cli/cli.js';

export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(...args: string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const { log, error } = console;
  console.log = (...items: unknown[]) => stdout.push(`${format(...items)}\n`);
  console.error = (...items: unknown[]) => stderr.push(`${format(...items)}\n`);
  try {
    const status = await runCli(args);
    return { status, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    console.log = log;
    console.error = error;
  }
}
