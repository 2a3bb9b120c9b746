// Compiles the AssemblyScript SIMD kernels (src/kernels/wasm/assembly/index.ts) to build/wasm/: with
// WebAssembly SIMD, and with relaxed SIMD as well (fused multiply-add; the loader prefers it where
// the engine accepts it), each over an unshared and a shared memory. Run by `npm run build:wasm` (and
// so by `prepare` and `npm run build`). Fails loudly: a non-zero exit and the compiler's diagnostics.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/kernels/wasm/assembly/index.ts');
const outputDir = join(root, 'build/wasm');
// Unshared memory for one thread: V8 copies into a SharedArrayBuffer with atomic-safe copies, about
// 3x slower, and every frame copies its input in. Shared memory only where a helper thread needs it.
const variants = [
  { file: 'rrm.wasm', features: ['simd'], shared: false },
  { file: 'rrm-relaxed.wasm', features: ['simd', 'relaxed-simd'], shared: false },
  { file: 'rrm-shared.wasm', features: ['simd', 'threads'], shared: true },
  { file: 'rrm-relaxed-shared.wasm', features: ['simd', 'relaxed-simd', 'threads'], shared: true },
];

mkdirSync(outputDir, { recursive: true });
for (const { file, features, shared } of variants) {
  const started = Date.now();
  const output = join(outputDir, file);
  const { error, stderr } = await asc.main([
    entry,
    '--outFile', output,
    '-O3',
    '--runtime', 'stub',
    ...features.flatMap((feature) => ['--enable', feature]),
    // JS owns the memory (and its allocator): the kernels are plain functions over it, with no AS heap.
    '--importMemory',
    '--initialMemory', '1',
    // Shared: a helper thread runs kernels over the same memory (see src/kernels/wasm/helper-thread.ts).
    ...(shared ? ['--sharedMemory', '--maximumMemory', '65536'] : []),
    '--noAssert',
    // WASM_NAMES=1 keeps function names, so CPU profiles name the kernels instead of wasm-function[N].
    ...(process.env.WASM_NAMES ? ['--debug'] : []),
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${file}: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: ${output} (${statSync(output).size} bytes, ${Date.now() - started} ms)`);
}
