/**
 * The progress line while `rx-rrm run` works: frames done / total with ETA (when the total is
 * known), frames per second, active fraction of the first layer and multiply-adds saved. Drawn only
 * on a terminal; silent when stdout is a pipe or a file.
 */
import cliProgress from 'cli-progress';
import { formatActivity, layerActivity } from '../report/layer-activity.js';
import type { LayerStats } from '../types.js';

export interface Progress {
  update(stats: readonly LayerStats[], keyframe: boolean): void;
  stop(): void;
}

export function createProgress(total: number | undefined, stream: NodeJS.WriteStream = process.stdout): Progress {
  if (!stream.isTTY) return { update: () => {}, stop: () => {} };
  const format = total
    ? 'frames {value}/{total} [{bar}] {percentage}% ETA {eta_formatted} | {fps} fps | active {active} | MACs saved {saved}'
    : 'frames {value} | {fps} fps | active {active} | MACs saved {saved}';
  const bar = new cliProgress.SingleBar({ format, stream, hideCursor: true, clearOnComplete: false, etaBuffer: 30 }, cliProgress.Presets.shades_classic);
  const started = performance.now();
  let frames = 0;
  let macs = 0;
  let denseMacs = 0;
  bar.start(total ?? 0, 0, { fps: '-', active: '-', saved: '-' });
  return {
    update(stats, keyframe) {
      frames++;
      const linear = stats.filter((s) => s.denseMacs > 0);
      for (const s of linear) {
        macs += s.macs;
        denseMacs += s.denseMacs;
      }
      const first = linear[0];
      bar.update(frames, {
        fps: (frames / ((performance.now() - started) / 1000)).toFixed(1),
        active: first ? formatActivity(layerActivity(first, keyframe)) : '-',
        saved: denseMacs ? `${((1 - macs / denseMacs) * 100).toFixed(0)}%` : '-',
      });
    },
    stop: () => bar.stop(),
  };
}
