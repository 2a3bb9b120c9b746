// Real architectures exported by PyTorch's own exporter (scripts/export-torch-models.py: seeded random
// weights, BatchNorm calibrated on smooth random images, opsets 11, 13 and 17, and one export with
// dynamic H/W for three of them), run by rx-rrm over 6 smooth frames with small local changes and
// compared with onnxruntime-node frame by frame at τ = 0: every output within 1e-4 of onnxruntime's,
// relative to the output's magnitude (test/helpers/torch-check.ts). This file: every architecture's
// opset-17 export on the WebAssembly kernels.
// Skips, saying how to produce them, when the exports are absent.
import t from 'tap';
import { BACKENDS, checkExport } from '../helpers/torch-check.js';
import { torchExports, torchModelsMissing } from '../helpers/torch-models.js';

t.test('every architecture (its opset-17 export) equals onnxruntime at τ = 0 on the WebAssembly kernels', { skip: torchModelsMissing || BACKENDS.wasm.skip }, async (t) => {
  const exports = torchExports().filter((e) => e.opset === 17 && !e.dynamic);
  t.ok(exports.length > 0, `${exports.length} exports`);
  for (const e of exports) await checkExport(t, e, BACKENDS.wasm);
});
