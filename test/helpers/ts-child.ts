/**
 * Starting a TypeScript file in a child Node process: with the loader the test itself runs under
 * (tap's TypeScript import), or ts-node's ESM loader when the test runs without tap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Node flags that let a child process import the project's `.ts` files. */
export function typescriptLoaderArgs(): string[] {
  const tapImport = process.execArgv.filter((arg) => arg.includes('@tapjs/typescript'));
  return tapImport.length > 0 ? tapImport : ['--loader', 'ts-node/esm', '--no-warnings'];
}

/** Spawns `node [nodeArgs] <script> [args]` with piped stdio (stdin open for commands). */
export function spawnTypescript(script: URL, args: readonly string[], nodeArgs: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, ...typescriptLoaderArgs(), fileURLToPath(script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
  });
}

/** Resolves with each JSON line a child prints, through `onLine`; resolves `exited` with its exit. */
export function jsonLines(child: ChildProcess, onLine: (value: Record<string, unknown>) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let buffered = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        onLine(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not ours
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
}
