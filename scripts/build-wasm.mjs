// Compiles the AssemblyScript SIMD kernels (src/kernels/wasm/assembly/index.ts) to build/wasm/rrm.wasm.
// Run by `npm run build:wasm` (and so by `prepare` and `npm run build`). Fails loudly: a non-zero exit
// and the compiler's own diagnostics, never a silently missing .wasm.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/kernels/wasm/assembly/index.ts');
const output = join(root, 'build/wasm/rrm.wasm');

mkdirSync(dirname(output), { recursive: true });
const started = Date.now();
const { error, stderr } = await asc.main([
  entry,
  '--outFile', output,
  '-O3',
  '--runtime', 'stub',
  '--enable', 'simd',
  // JS owns the memory (and its allocator): the kernels are plain functions over it, with no AS heap.
  '--importMemory',
  '--initialMemory', '1',
  '--noAssert',
]);
if (error) {
  console.error(stderr.toString());
  console.error(`build-wasm: ${error.message}`);
  process.exit(1);
}
console.log(`build-wasm: ${output} (${statSync(output).size} bytes, ${Date.now() - started} ms)`);
