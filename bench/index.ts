/**
 * `npm run bench [name ...]`: runs the named benchmarks (files `bench/<name>.bench.ts`), or all of
 * them. Benchmarks print tables of medians measured side by side in one process.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { enableRelaxedSimd } from './harness.js';
import { wasmKernelStatus } from '../src/kernels/wasm/wasm-backend.js';

enableRelaxedSimd();
const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, '')).sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
const kernels = wasmKernelStatus();
console.log(
  `node ${process.version}, ${process.platform}-${process.arch}, ${(await import('node:os')).cpus().length} cores, ${new Date().toISOString()}; ` +
    `wasm kernels: ${kernels.available ? kernels.instructionSet : `unavailable (${kernels.reason})`}`,
);
for (const name of wanted.length ? wanted : available) {
  const module = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { run: () => Promise<void> };
  console.log(`\n## ${name}`);
  await module.run();
}
