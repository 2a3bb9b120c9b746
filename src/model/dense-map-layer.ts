/**
 * A layer that recomputes its whole output every frame from a function of the input map: for the
 * cheap element-wise operators that are not core activations (general Clip, HardSigmoid, SiLU,
 * PRelu, unfolded affine), and for products of two dynamic maps, which are not linear and so have
 * no delta form.
 */
import { deriveMap, passStats } from '../layers/map-meta.js';
import type { Layer } from '../layers/layer.js';
import type { FeatureMap } from '../types.js';

export class DenseMapLayer implements Layer<null> {
  constructor(
    readonly name: string,
    readonly kind: string,
    private readonly compute: (map: FeatureMap) => Float32Array,
  ) {}

  createState(): null {
    return null;
  }

  step(_state: null, map: FeatureMap): FeatureMap {
    const started = performance.now();
    const data = this.compute(map);
    return deriveMap(map, data, map.height, map.width, map.channels, passStats(this.name, this.kind, 1, true, started));
  }
}
