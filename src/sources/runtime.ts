/**
 * The one place where the sources touch the host runtime: child processes, TCP, timers.
 *
 * Node ≥ 20 and Deno 2 both implement `node:child_process`, `node:net` and `node:timers`, so the
 * same calls serve both (test/deno/pipeline.ts proves it with the real Deno binary: nothing had to
 * differ). Deno-only APIs (`Deno.Command`, `Deno.listen`) are deliberately not used: the
 * @deno/shim-deno package cannot emulate them on Node (its `Deno.listen` crashed and its
 * `Deno.connect` reads failed when tried). Files are read with `node:fs`, which Deno implements too. Keeping these calls here means a runtime difference found later is fixed
 * in one file, not in every source.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setImmediate, clearImmediate } from 'node:timers';
import type { Readable } from 'node:stream';

export type PipedProcess = ChildProcessByStdio<null, Readable, Readable>;

/**
 * Starts `command` with an argument array (never a shell, so paths with spaces or quotes are
 * passed verbatim) and stdout/stderr piped. Spawn failures (ENOENT, EACCES) arrive as the
 * process's `error` event.
 */
export function spawnPiped(command: string, args: readonly string[]): PipedProcess {
  return spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
}

/** Ends a child process at once; a decoder holds no state worth a graceful shutdown. */
export function killProcess(child: PipedProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export function connectTcp(port: number, host: string): Socket {
  return createConnection({ port, host });
}

export function createTcpServer(onConnection: (socket: Socket) => void): Server {
  return createServer(onConnection);
}

/**
 * Runs `callback` after pending I/O has been processed (a macrotask, unlike a microtask), and
 * returns a function that cancels it. Live sources deliver one frame per turn so that frames
 * arriving meanwhile can replace stale ones.
 */
export function afterPendingIo(callback: () => void): () => void {
  const handle = setImmediate(callback);
  return () => clearImmediate(handle);
}
