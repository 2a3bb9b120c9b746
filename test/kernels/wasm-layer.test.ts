// Layer level: a stack of rrmConv/rrmFc operators on the wasm backend emits what the JS backend emits.
import { from, lastValueFrom, toArray } from 'rxjs';
import t from 'tap';
import { rrmConv, rrmFc } from '../../src/index.js';
import type { KernelBackend } from '../../src/kernels/backend.js';
import { jsBackend } from '../../src/kernels/js/js-backend.js';
import { wasmBackend, wasmKernelStatus } from '../../src/kernels/wasm/wasm-backend.js';
import type { FeatureMap } from '../../src/types.js';
import { featureMap, perturbPixels, relativeError } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';

const status = wasmKernelStatus();
if (!status.available) {
  t.skip(`wasm kernels not available: ${status.reason}`, async () => {});
} else {
  t.test('rrmConv/rrmFc on the wasm backend equal the JS backend within 1e-5 relative over a 60-frame stream', async (t) => {
    const random = prng(21);
    const H = 24;
    const W = 20;
    const specs = {
      stem: { weight: randomArray(random, 16 * 3 * 9, 0.5), shape: [16, 3, 3, 3] as const, bias: randomArray(random, 16), padding: 'same' as const, activation: 'relu' as const },
      depthwise: { weight: randomArray(random, 16 * 9, 0.5), shape: [16, 1, 3, 3] as const, groups: 16, stride: 2, padding: 1, activation: 'relu6' as const },
      pointwise: { weight: randomArray(random, 32 * 16, 0.5), shape: [32, 16, 1, 1] as const, bias: randomArray(random, 32), activation: 'leakyRelu' as const },
      fcWeight: randomArray(random, 10 * 32 * 12 * 10, 0.05),
    };
    const frames: FeatureMap[] = [];
    let data = randomArray(random, H * W * 3);
    for (let index = 0; index < 60; index++) {
      if (index > 0) data = perturbPixels(data, 3, index % 13 === 0 ? 0.8 : random() * 0.1, random, 0.3);
      frames.push(featureMap(data, H, W, 3, index, { keyframe: index === 30 }));
    }
    // Both backends get the same dense-fallback rule: their measured crossovers differ, and with it the MAC counts.
    const denseFraction = 0.5;
    const run = (backend: KernelBackend, threshold: number) =>
      lastValueFrom(
        from(frames).pipe(
          rrmConv({ ...specs.stem, threshold, denseFraction, backend }),
          rrmConv({ ...specs.depthwise, threshold, denseFraction, backend }),
          rrmConv({ ...specs.pointwise, threshold, denseFraction, backend }),
          rrmFc({ weight: specs.fcWeight, outFeatures: 10, activation: 'sigmoid', threshold, denseFraction, backend }),
          toArray(),
        ),
      );
    for (const threshold of [0, 0.02]) {
      const [js, wasm] = [await run(jsBackend, threshold), await run(wasmBackend, threshold)];
      t.equal(wasm.length, js.length);
      let worst = 0;
      for (let i = 0; i < js.length; i++) worst = Math.max(worst, relativeError(wasm[i]!.data, js[i]!.data));
      t.ok(worst <= 1e-5, `τ=${threshold}: largest relative error ${worst.toExponential(2)}`);
      // The stem (3 input channels) recomputes its touched outputs on wasm instead of scattering, by
      // design: its active pixels are the same, its multiply-adds are not, and its outputs differ in
      // rounding, which at τ = 0 can flip a later pixel between "changed" and "unchanged".
      const stemActive = (maps: FeatureMap[]) => maps.map((m) => m.stats[0]!.activeFraction).join();
      t.equal(stemActive(wasm), stemActive(js), `τ=${threshold}: identical active pixels in the stem`);
      const laterMacs = (maps: FeatureMap[]) => maps.reduce((n, m) => n + m.stats.slice(1).reduce((k, s) => k + s.macs, 0), 0);
      const ratio = laterMacs(wasm) / laterMacs(js);
      t.ok(Math.abs(ratio - 1) < 0.01, `τ=${threshold}: the scattering layers' multiply-adds within 1% of the JS backend's (ratio ${ratio.toFixed(4)})`);
    }
  });
}
