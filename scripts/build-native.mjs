// Builds the native kernels (binding.gyp -> build/Release/rrm_native.node) with node-gyp, which
// ships with npm. Run by `npm install` (the `install` script) and `npm run build:native`.
// Where no compiler or Node headers are found it prints one line and exits 0: rx-rrm then runs on
// the WebAssembly kernels. RRM_REQUIRE_NATIVE=1 makes that a failure (CI, where the build must work).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** node-gyp: the one npm runs scripts with, else npm's own copy, else a node-gyp package. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

/**
 * Node's headers, so that node-gyp never downloads them: npm's `nodedir` setting, else the headers
 * installed beside this node binary (official tarballs and distribution packages ship them).
 */
function findNodeHeaders() {
  const configured = process.env.npm_config_nodedir;
  if (configured && existsSync(join(configured, 'include/node/node_api.h'))) return configured;
  const besideNode = resolve(dirname(process.execPath), '..');
  return existsSync(join(besideNode, 'include/node/node_api.h')) ? besideNode : undefined;
}

function giveUp(reason) {
  const message = `build-native: native kernels not built (${reason}); rx-rrm will use the WebAssembly kernels`;
  if (process.env.RRM_REQUIRE_NATIVE === '1') {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) giveUp('node-gyp not found');
const headers = findNodeHeaders();
const started = Date.now();
// configure + build, not rebuild: rebuild would first delete build/, where the wasm kernels live too.
const args = [nodeGyp, 'configure', 'build', '--release', ...(headers ? [`--nodedir=${headers}`] : [])];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (result.status !== 0) {
  const lastLines = `${result.stdout}\n${result.stderr}`.trim().split('\n').filter((line) => /error|ERR!/i.test(line)).slice(-3).join(' / ');
  giveUp(lastLines || `node-gyp exited with ${result.status ?? result.signal}`);
}
console.log(`build-native: ${join(root, 'build/Release/rrm_native.node')} (${Date.now() - started} ms)`);
