/** Running a script under the real Deno binary of the dev dependency `deno`, offline. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DENO = join(REPO_ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'deno.cmd' : 'deno');
// Offline and read-only towards the repository: modules come from node_modules, no lock file is written.
const DENO_FLAGS = ['run', '-A', '--no-lock', '--no-remote', '--cached-only', '--sloppy-imports', '--node-modules-dir=manual'];

const version = spawnSync(DENO, ['--version'], { encoding: 'utf8' });
/** Why Deno cannot run here, or false: a tap `skip` value. */
export const denoMissing = version.status !== 0 && `deno cannot start (${version.error?.message ?? version.stderr}): install the dev dependency 'deno'`;

export function runDeno(script: string, args: readonly string[] = []) {
  return spawnSync(DENO, [...DENO_FLAGS, script, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 90_000 });
}
