/** `rx-rrm run`: a model on a video, camera or stream, with a progress line and a summary at the end. */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { concatMap, lastValueFrom, map, share, take, tap, zip, type Observable } from 'rxjs';
import { loadOnnx } from '../../model/model.js';
import type { ModelOutput } from '../../model/executor.js';
import type { ThresholdMode } from '../../model/threshold-mode.js';
import { writeActivityPlot } from '../../report/activity-plot.js';
import { formatSummary, summarize, type FrameRecord } from '../../report/run-summary.js';
import type { Frame } from '../../types.js';
import { UsageError } from '../errors.js';
import { openInput } from '../input.js';
import { backendOption, MODEL_OPTIONS, optionalNumber, parseSize, preprocessOptions, readThresholds, requireString, thresholdModeOption } from '../model-options.js';
import { detectorFor, OverlaySink } from '../overlay-sink.js';
import { createProgress } from '../progress.js';

export const RUN_USAGE = `rx-rrm run --model m.onnx --input <video | image folder | camera[:device] | tcp://host:port | tcp-listen://host:port | ws://host:port/path>
  --threshold τ | --thresholds file.json   per-layer thresholds (0 = exact; default 0)
  --threshold-mode absolute|relative       τ in each layer's input units, or relative to its input's magnitude
                                           (default: the file's mode, else absolute)
  --keyframe-every N                       dense recompute every N frames
  --size WxH                               decode at this size (the model's input size is applied after)
  --mean M --scale S --std D               input = (byte − M) · S / D, one value or per channel (default scale 1/255)
  --channel-order rgb|bgr                  --backend native|wasm|js   --threads 1|2|auto   --max-frames N
  --compare-dense                          also run the dense path: speed-up and deviation per output
  --json out.json                          per-frame and per-layer records
  --plot activity.png                      active fraction per layer over time, keyframes marked
  --overlay out.mp4 [--overlay-layer NAME]  the input with a layer's integrated pixels as a heat map (default: the
                                           first conv) and, for UltraFace-style detectors, the detected faces`;

interface FrameJson {
  index: number;
  timestamp: number;
  keyframe: boolean;
  layers: FrameRecord['stats'];
  deviation?: Record<string, number>;
}

export async function runCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...MODEL_OPTIONS,
      threshold: { type: 'string' },
      thresholds: { type: 'string' },
      'keyframe-every': { type: 'string' },
      'compare-dense': { type: 'boolean' },
      json: { type: 'string' },
      plot: { type: 'string' },
      overlay: { type: 'string' },
      'overlay-layer': { type: 'string' },
    },
    strict: true,
  });
  const modelPath = requireString(values, 'model', 'the ONNX model to run');
  const inputSpec = requireString(values, 'input', 'a video file, image folder, camera[:device], tcp://host:port or ws://host:port/path');
  const threshold = optionalNumber(values, 'threshold', (n) => n >= 0, 'a threshold >= 0') ?? 0;
  const file = values.thresholds ? await readThresholds(values.thresholds) : undefined;
  const thresholds = file?.thresholds;
  const thresholdMode = modeOf(thresholdModeOption(values), file?.thresholdMode, values.thresholds);
  const keyframeEvery = optionalNumber(values, 'keyframe-every', (n) => Number.isInteger(n) && n > 0, 'a positive whole number');
  const maxFrames = optionalNumber(values, 'max-frames', (n) => Number.isInteger(n) && n > 0, 'a positive whole number');
  const backend = backendOption(values);
  const model = await loadOnnx(modelPath);
  const unknownLayers = Object.keys(thresholds ?? {}).filter((layer) => !model.layers.includes(layer));
  if (unknownLayers.length) throw new UsageError(`--thresholds names layers the model does not have: ${unknownLayers.join(', ')}`);
  const overlayLayer = values.overlay ? (values['overlay-layer'] ?? model.layers[0]) : undefined;
  if (overlayLayer !== undefined && !model.layers.includes(overlayLayer)) throw new UsageError(`--overlay-layer ${overlayLayer}: no such layer; layers: ${model.layers.join(', ')}`);
  const input = await openInput(inputSpec, parseSize(values));
  const total = maxFrames !== undefined && input.total !== undefined ? Math.min(maxFrames, input.total) : (maxFrames ?? input.total);
  const frames: Observable<Frame> = (maxFrames ? input.frames.pipe(take(maxFrames)) : input.frames).pipe(share());
  const preprocess = model.preprocess(preprocessOptions(values));
  const overlay = values.overlay ? new OverlaySink(values.overlay, overlayLayer!, detectorFor(model)) : undefined;
  const rrm = (overlay ? frames.pipe(tap((frame) => overlay.remember(frame))) : frames).pipe(
    preprocess,
    model.operator({ threshold, thresholdMode, ...(thresholds ? { thresholds } : {}), ...(keyframeEvery ? { keyframeEvery } : {}), ...(overlayLayer ? { traceLayers: [overlayLayer] } : {}), backend }),
  );
  const dense = values['compare-dense'] ? frames.pipe(preprocess, model.operator({ keyframeEvery: 1, backend })) : undefined;

  console.error(`rx-rrm: ${modelPath} on ${input.description}${total ? ` (${total} frames)` : ''}, ${backend.name} kernels`);
  const progress = createProgress(total);
  const records: FrameJson[] = [];
  const denseRecords: FrameRecord[] = [];
  const worstDeviation: Record<string, number> = {};
  const started = performance.now();
  const paired: Observable<[ModelOutput, ModelOutput | undefined]> = dense ? zip(rrm, dense) : rrm.pipe(map((out) => [out, undefined]));
  const running = lastValueFrom(
    paired.pipe(
      concatMap(async (pair) => {
        await overlay?.write(pair[0]);
        return pair;
      }),
      tap(([out, reference]) => {
        progress.update(out.stats);
        const record: FrameJson = { index: out.index, timestamp: out.timestamp, keyframe: out.keyframe, layers: out.stats };
        if (reference) {
          denseRecords.push(reference);
          record.deviation = deviationByOutput(out, reference);
          for (const [name, value] of Object.entries(record.deviation)) worstDeviation[name] = Math.max(worstDeviation[name] ?? 0, value);
        }
        records.push(record);
      }),
    ),
    { defaultValue: undefined },
  );
  try {
    await running;
  } catch (error) {
    // Leave no encoder behind writing half a video.
    overlay?.abort();
    throw error;
  } finally {
    progress.stop();
  }
  await overlay?.close();
  const wallMs = performance.now() - started;
  if (records.length === 0) throw new UsageError(`--input ${inputSpec}: no frames arrived`);

  const frameRecords: FrameRecord[] = records.map((r) => ({ index: r.index, keyframe: r.keyframe, stats: r.layers }));
  const computeMs = (list: readonly FrameRecord[]) => list.reduce((sum, r) => sum + r.stats.reduce((s, l) => s + l.timeMs, 0), 0);
  const summary = summarize(frameRecords, computeMs(frameRecords));
  const denseSummary = dense ? summarize(denseRecords, computeMs(denseRecords)) : undefined;
  const maxDeviation = dense ? Math.max(...Object.values(worstDeviation)) : undefined;
  console.log(formatSummary(summary, { ...(denseSummary ? { dense: denseSummary } : {}), ...(maxDeviation !== undefined ? { maxDeviation } : {}) }));
  if (dense) for (const [name, value] of Object.entries(worstDeviation)) console.log(`deviation of ${name}: max ${value.toExponential(2)}`);
  console.log(`(frames/s count the model's compute only; the whole run took ${(wallMs / 1000).toFixed(1)} s with decoding${dense ? ' and the dense comparison' : ''})`);
  if (values.json) {
    await writeFile(values.json, JSON.stringify({ model: modelPath, input: inputSpec, threshold, thresholdMode, thresholds, summary, frames: records }, null, 1));
    console.log(`per-frame records: ${values.json}`);
  }
  if (overlay) console.log(`overlay video: ${values.overlay} (layer ${overlayLayer}${overlay.detects ? ', detected faces boxed' : ''})`);
  if (values.plot) {
    await writeActivityPlot(values.plot, frameRecords);
    console.log(`activity plot: ${values.plot}`);
  }
}

/** The mode of `--threshold-mode`, else of the thresholds file, else absolute; the two must not contradict. */
function modeOf(flag: ThresholdMode | undefined, fromFile: ThresholdMode | undefined, path: string | undefined): ThresholdMode {
  if (flag && fromFile && flag !== fromFile) {
    throw new UsageError(`--threshold-mode ${flag}: ${path} holds ${fromFile} thresholds (tuned in that mode); drop --threshold-mode or retune`);
  }
  return flag ?? fromFile ?? 'absolute';
}

/** Largest absolute difference per graph output. */
export function deviationByOutput(out: ModelOutput, reference: ModelOutput): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, tensor] of Object.entries(out.outputs)) {
    const expected = reference.outputs[name]!.data;
    let worst = 0;
    for (let i = 0; i < tensor.data.length; i++) worst = Math.max(worst, Math.abs(tensor.data[i]! - expected[i]!));
    result[name] = worst;
  }
  return result;
}
