/**
 * Keyframes: a dense recompute on scene cuts (more than 30% of pixels changed by more than 16 grey
 * levels), every 50 frames, and whenever a notifier emits — here a timer standing in for a button.
 *
 *   npm run example -- keyframes
 */
import { interval } from 'rxjs';
import { keyframes, rrmConv, syntheticScene, toTensor } from 'rx-rrm';

const button = interval(1000); // e.g. fromEvent(resetButton, 'click') in a browser
const weight = Float32Array.from({ length: 8 * 3 * 9 }, (_, i) => Math.sin(i) / 9);

syntheticScene({ width: 160, height: 120, frames: 90, cutAt: 60, fps: 30, realtime: true })
  .pipe(
    keyframes({ every: 50, maxActive: 0.3, pixelThreshold: 16, on: button }),
    toTensor(),
    rrmConv({ name: 'conv', weight, shape: [8, 3, 3, 3], padding: 'same', activation: 'relu' }),
  )
  .subscribe((out) => {
    const layer = out.stats.at(-1)!;
    if (out.keyframe) console.log(`frame ${out.index}: keyframe, dense recompute (${(layer.macs / 1e6).toFixed(1)} M multiply-adds)`);
    else if (out.index % 15 === 0) console.log(`frame ${out.index}: ${(layer.activeFraction * 100).toFixed(1)}% of pixels active, ${(layer.macs / 1e6).toFixed(2)} M multiply-adds`);
  });
