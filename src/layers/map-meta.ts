/** Building an output FeatureMap that carries an input item's identity (index, time, stream, keyframe). */
import type { FeatureMap, LayerStats } from '../types.js';

export function deriveMap(
  from: Pick<FeatureMap, 'index' | 'timestamp' | 'streamId' | 'keyframe' | 'stats'>,
  data: Float32Array,
  height: number,
  width: number,
  channels: number,
  stats: LayerStats | undefined,
  changes?: FeatureMap['changes'],
  dense = false,
): FeatureMap {
  return {
    data,
    height,
    width,
    channels,
    index: from.index,
    timestamp: from.timestamp,
    ...(from.streamId !== undefined ? { streamId: from.streamId } : {}),
    keyframe: from.keyframe,
    stats: stats ? [...from.stats, stats] : from.stats,
    ...(changes ? { changes } : {}),
    ...(dense ? { dense } : {}),
  };
}

/** Stats of a layer that has no multiply-adds of its own (activations, pooling, reshapes). */
export function passStats(layer: string, kind: string, activeFraction: number, dense: boolean, started: number): LayerStats {
  return { layer, kind, activeFraction, macs: 0, denseMacs: 0, dense, timeMs: performance.now() - started };
}
