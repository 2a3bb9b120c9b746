/** Running the examples as a user runs them: `npm run example -- <name> [args]` (the working tree's rx-rrm). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every example and the test file that runs it: a new example without an entry fails test/examples/all.test.ts. */
export const EXAMPLE_TESTS: Record<string, 'generated' | 'sources'> = {
  demo: 'generated',
  'custom-pipeline': 'generated',
  keyframes: 'generated',
  'readable-stream': 'generated',
  websocket: 'generated',
  'video-stats': 'sources',
  'socket-sender': 'sources',
  'socket-receiver': 'sources',
  camera: 'sources',
  'face-detection': 'sources',
};

export function runExample(name: string, args: readonly string[] = [], input?: Uint8Array) {
  return spawnSync(process.execPath, ['scripts/run-example.mjs', name, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000, ...(input ? { input } : {}) });
}

export function startExample(name: string, args: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, ['scripts/run-example.mjs', name, ...args], { cwd: REPO_ROOT });
}
