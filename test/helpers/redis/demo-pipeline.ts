/**
 * What the Redis worker tests run: the demo network (seeded weights, so every process builds the
 * same one) at τ = 0 on small generated scenes, one per simulated camera.
 */
import { pipe, type OperatorFunction } from 'rxjs';
import { demoNetwork } from '../../../src/demo/network.js';
import { sceneFrames } from '../../../src/demo/scene.js';
import { toTensor } from '../../../src/operators/to-tensor.js';
import type { FeatureMap, Frame } from '../../../src/types.js';

export const CAMERA_WIDTH = 64;
export const CAMERA_HEIGHT = 48;

/** Frames to the classifier's 10 outputs, exact (τ = 0). */
export function demoPipeline(): OperatorFunction<Frame, FeatureMap> {
  const layers = demoNetwork({ threshold: 0 });
  return (frames) => frames.pipe(toTensor({ scale: 1 / 255 }), pipe(...(layers as [OperatorFunction<FeatureMap, FeatureMap>])));
}

/** Camera `n`'s scene: moving objects over a textured background, its own seed, no scene cut. */
export function cameraFrames(n: number, count: number): Frame[] {
  return [...sceneFrames({ width: CAMERA_WIDTH, height: CAMERA_HEIGHT, frames: count, seed: 100 + n, cutAt: -1, fps: 10 })];
}

export const cameraName = (n: number): string => `cam-${String(n).padStart(2, '0')}`;
