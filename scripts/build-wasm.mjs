// Compiles the AssemblyScript SIMD kernels (over a shared memory) (src/kernels/wasm/assembly/index.ts) twice, to
// build/wasm/rrm.wasm (WebAssembly SIMD) and build/wasm/rrm-relaxed.wasm (plus relaxed SIMD: fused
// multiply-add; the loader prefers it where the engine accepts it). Run by `npm run build:wasm` (and
// so by `prepare` and `npm run build`). Fails loudly: a non-zero exit and the compiler's diagnostics.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/kernels/wasm/assembly/index.ts');
const outputDir = join(root, 'build/wasm');
const variants = [
  { file: 'rrm.wasm', features: ['simd', 'threads'] },
  { file: 'rrm-relaxed.wasm', features: ['simd', 'relaxed-simd', 'threads'] },
];

mkdirSync(outputDir, { recursive: true });
for (const { file, features } of variants) {
  const started = Date.now();
  const output = join(outputDir, file);
  const { error, stderr } = await asc.main([
    entry,
    '--outFile', output,
    '-O3',
    '--runtime', 'stub',
    ...features.flatMap((feature) => ['--enable', feature]),
    // JS owns the memory (and its allocator): the kernels are plain functions over it, with no AS heap.
    // Shared, so that worker threads can run kernels over the same memory (see dense-threads.ts).
    '--importMemory',
    '--sharedMemory',
    '--initialMemory', '1',
    '--maximumMemory', '65536',
    '--noAssert',
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${file}: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: ${output} (${statSync(output).size} bytes, ${Date.now() - started} ms)`);
}
