/**
 * A model's graph per input size: shape arithmetic folded for that size (shape-folding.ts), then
 * optimized (optimize.ts). A model with a fixed input size has one; a model with dynamic H/W gets
 * one per size it is run at, made when the first frame of that size arrives. Shared by every
 * subscription of the model (the graphs are immutable once made).
 */
import type { FeatureMap } from '../types.js';
import type { OnnxGraph } from './graph.js';
import { optimizeGraph } from './optimize.js';
import { foldShapes, type SizedGraph } from './shape-folding.js';

export class GraphPlan {
  private readonly bySize = new Map<string, SizedGraph>();

  /** The input's dims when every one is declared (the batch taken as 1), else undefined (dynamic H/W). */
  readonly fixedDims: readonly number[] | undefined;

  /** `graph`: the model as read (and cut to its outputs), before any folding. */
  constructor(readonly graph: OnnxGraph) {
    const [, ...rest] = graph.input.dims;
    const fixed = graph.input.dims.length >= 2 && rest.every((d) => d !== undefined);
    this.fixedDims = fixed ? [1, ...(rest as number[])] : undefined;
  }

  /** The ONNX dims of a map arriving at the model input: `[1, C, H, W]`, or `[1, C]` for a 2-D input. */
  inputDims(map: Pick<FeatureMap, 'height' | 'width' | 'channels'>): number[] {
    return this.graph.input.dims.length === 2 ? [1, map.channels] : [1, map.channels, map.height, map.width];
  }

  /** The graph for an input of `dims`, folded and optimized once per size. */
  forInput(dims: readonly number[]): SizedGraph {
    const key = dims.join('x');
    let sized = this.bySize.get(key);
    if (!sized) {
      const folded = foldShapes(this.graph, dims);
      sized = { graph: optimizeGraph(folded.graph), dims: folded.dims };
      this.bySize.set(key, sized);
    }
    return sized;
  }

  forMap(map: Pick<FeatureMap, 'height' | 'width' | 'channels'>): SizedGraph {
    return this.forInput(this.inputDims(map));
  }
}
