import { connect, map as rxMap, pipe, zip, type OperatorFunction } from 'rxjs';
import { assertFeatureMap, RrmInputError } from '../layers/validate.js';
import type { FeatureMap } from '../types.js';
import { deriveMap, passStats } from './map-meta.js';
import { layerName } from './names.js';

type Branch = OperatorFunction<FeatureMap, FeatureMap>;

/**
 * A skip connection: `output = input + branch(input)`. Addition is linear, so the rrm layers inside
 * the branch keep their own delta state; the branch is subscribed once per subscription (`connect`),
 * and must emit exactly one map per input map, as every rx-rrm layer does.
 */
export function residual(...branch: Branch[]): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName('residual', undefined);
  const body = (pipe as (...ops: Branch[]) => Branch)(...branch);
  return connect((shared) =>
    zip(shared, shared.pipe(body)).pipe(
      rxMap(([input, branchOutput]) => {
        const started = performance.now();
        assertFeatureMap(name, branchOutput);
        if (branchOutput.height !== input.height || branchOutput.width !== input.width || branchOutput.channels !== input.channels) {
          throw new RrmInputError(
            `${name}: the branch emits ${branchOutput.height}x${branchOutput.width}x${branchOutput.channels}, expected the input's shape ${input.height}x${input.width}x${input.channels}`,
          );
        }
        const sum = new Float32Array(input.data.length);
        for (let i = 0; i < sum.length; i++) sum[i] = input.data[i]! + branchOutput.data[i]!;
        // The branch's stats already start with the input's; add this layer's after them.
        return deriveMap(branchOutput, sum, input.height, input.width, input.channels, passStats(name, 'residual', 1, true, started));
      }),
    ),
  );
}

/** Runs every branch on the same input and concatenates their outputs along channels. */
export function concat(...branches: Branch[]): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName('concat', undefined);
  if (branches.length === 0) throw new RrmInputError(`${name}: needs at least one branch`);
  return connect((shared) =>
    zip(branches.map((branch) => shared.pipe(branch))).pipe(
      rxMap((outputs) => {
        const started = performance.now();
        const first = outputs[0]!;
        outputs.forEach((out, k) => {
          assertFeatureMap(name, out);
          if (out.height !== first.height || out.width !== first.width) {
            throw new RrmInputError(`${name}: branch ${k} emits ${out.height}x${out.width}, expected ${first.height}x${first.width} like branch 0`);
          }
        });
        const channels = outputs.reduce((n, out) => n + out.channels, 0);
        const pixels = first.height * first.width;
        const data = new Float32Array(pixels * channels);
        let offset = 0;
        for (const out of outputs) {
          for (let p = 0; p < pixels; p++) data.set(out.data.subarray(p * out.channels, (p + 1) * out.channels), p * channels + offset);
          offset += out.channels;
        }
        const stats = [...first.stats, ...outputs.slice(1).flatMap((out) => out.stats.slice(commonPrefix(first.stats, out.stats)))];
        return deriveMap({ ...first, stats }, data, first.height, first.width, channels, passStats(name, 'concat', 1, true, started));
      }),
    ),
  );
}

function commonPrefix<T>(a: readonly T[], b: readonly T[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
