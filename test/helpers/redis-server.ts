/**
 * A real redis-server for a test: started on a free port in a temporary directory (AOF on when
 * asked), stopped at teardown. Debian's `redis-server` package provides it (`.ci/run` installs it
 * in its second pass); without it the Redis tests skip with `REDIS_MISSING`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = process.env.REDIS_SERVER ?? 'redis-server';

function findRedisServer(): string | false {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && /Redis server v=(\d+)/.exec(probe.stdout) && Number(/v=(\d+)/.exec(probe.stdout)![1]) >= 7) return false;
  if (probe.status === 0) return `redis-server is older than 7.0 (${probe.stdout.trim()}); the Redis tests need 7.0 or newer`;
  return 'redis-server is not installed (apt-get install redis-server; .ci/run does in its second pass)';
}

/** A tap `skip` value: why the Redis tests cannot run here, or false. */
export const REDIS_MISSING: string | false = findRedisServer();

/**
 * Linux: started through `setpriv --pdeathsig KILL` (util-linux), the server dies with the test
 * process even when that is killed outright (a tap timeout) and its teardown never runs.
 */
const DIE_WITH_PARENT = process.platform === 'linux' && spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout?.includes('--pdeathsig') ? ['setpriv', '--pdeathsig', 'KILL'] : [];

export interface RedisServerOptions {
  /** Append-only file on, fsync on every write: acknowledged writes survive a kill -9 of the server. */
  readonly aof?: boolean;
}

export interface TestRedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** Stops the server (SIGKILL when `crash`, else a clean shutdown) and waits for its exit. */
  stop(crash?: boolean): Promise<void>;
  /** Starts it again on the same port and directory (its AOF is replayed). */
  start(): Promise<void>;
  /** Sends a signal to the server (SIGSTOP/SIGCONT). */
  signal(signal: NodeJS.Signals): void;
}

/** A free TCP port on 127.0.0.1 (closed again before returning: redis-server binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function pingable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 1000).unref();
  });
}

/** Starts a server; `t.teardown` stops it and removes its directory. */
export async function startRedisServer(t: { teardown: (fn: () => unknown) => void }, options: RedisServerOptions = {}): Promise<TestRedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rx-rrm-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--loglevel', 'warning',
    ...(options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  ];
  const server: TestRedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    async start() {
      const [command, ...rest] = [...DIE_WITH_PARENT, BINARY, ...args];
      child = spawn(command!, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
      const deadline = Date.now() + 20_000;
      while (!(await pingable(port))) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop(crash = false) {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGCONT');
      running.kill(crash ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
    signal(signal) {
      child?.kill(signal);
    },
  };
  t.teardown(async () => {
    await server.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });
  await server.start();
  return server;
}
