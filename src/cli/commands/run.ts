/** `rx-rrm run`: a model on a video, camera or stream, with a progress line and a summary at the end. */
import { writeFile } from 'node:fs/promises';
import { concatMap, lastValueFrom, map, share, take, tap, zip, type Observable } from 'rxjs';
import { detectionAgreement, formatDetectionAgreement, knownDecoder, type FrameDetectionComparison } from '../../model/detections.js';
import type { ModelOutput } from '../../model/executor.js';
import { loadOnnx } from '../../model/model.js';
import { changedPixelFraction, keyframes } from '../../operators/keyframes.js';
import { writeActivityPlot } from '../../report/activity-plot.js';
import { detectionsJson, frameJson, layersJson, RUN_JSON_SCHEMA, traceJson, type FrameJson } from '../../report/run-json.js';
import { formatSummary, summarize, type FrameRecord } from '../../report/run-summary.js';
import type { Frame } from '../../types.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { openInput } from '../input.js';
import { backendOption, fitOption, threadsOption, INPUT_OPTIONS, INPUT_USAGE, inputOptions, MODEL_OPTIONS, optionalNumber, preprocessOptions, requireString, THRESHOLD_OPTIONS, thresholdChoice } from '../model-options.js';
import { OverlaySink } from '../overlay-sink.js';
import { createProgress } from '../progress.js';

export const RUN_USAGE = `rx-rrm run --model m.onnx --input <video | image folder | camera[:device] | tcp://host:port | tcp-listen://host:port | ws://host:port/path>
  --threshold τ | --thresholds file.json   per-layer thresholds (0 = exact; default 0); a file from rx-rrm tune
  --threshold-mode absolute|relative       τ in each layer's input units, or relative to its input's magnitude
                                           (default: the file's mode, else absolute)
  --keyframe-every N                       dense recompute every N frames
  --scene-cut F                            dense recompute when more than F (0-1) of the pixels changed by > 16 grey levels
${INPUT_USAGE}
  --compare-dense                          also run the dense path: speed-up, deviation per output and, for
                                           UltraFace-style detectors, whether the detections agree
  --json out.json                          per-frame records: layer stats, keyframes, detections (docs/run-json.md)
  --trace                                  with --json: the input pixels --layer integrated, per frame
  --plot activity.png                      heat map of active pixels per layer and frame, multiply-adds per frame
  --overlay out.mp4                        the input with --layer's integrated pixels in red and detections boxed
  --layer NAME                             the layer of --overlay and --trace (default: the first conv)
  --verbose                                stack traces on errors`;

const RUN_OPTIONS = {
  ...INPUT_OPTIONS,
  ...MODEL_OPTIONS,
  ...THRESHOLD_OPTIONS,
  'keyframe-every': { type: 'string' },
  'scene-cut': { type: 'string' },
  'compare-dense': { type: 'boolean' },
  json: { type: 'string' },
  trace: { type: 'boolean' },
  plot: { type: 'string' },
  overlay: { type: 'string' },
  layer: { type: 'string' },
} as const;

/** A frame counts as a scene cut in the reports when more than this share of its pixels changed by more than SCENE_CUT_LEVELS. */
const DEFAULT_SCENE_CUT = 0.5;
const SCENE_CUT_LEVELS = 16;

export async function runCommand(args: string[]): Promise<void> {
  const values = parseCommandArgs('run', args, RUN_OPTIONS, RUN_USAGE);
  if (!values) return;
  const modelPath = requireString(values, 'model', 'the ONNX model to run');
  const inputSpec = requireString(values, 'input', 'a video file, image folder, camera[:device], tcp://host:port or ws://host:port/path');
  const keyframeEvery = optionalNumber(values, 'keyframe-every', (n) => Number.isInteger(n) && n > 0, 'a positive whole number');
  const sceneCut = optionalNumber(values, 'scene-cut', (n) => n > 0 && n <= 1, 'a fraction of pixels between 0 and 1');
  const maxFrames = optionalNumber(values, 'max-frames', (n) => Number.isInteger(n) && n > 0, 'a positive whole number');
  if (values.trace && !values.json) throw new UsageError('--trace records pixels in the --json file: add --json out.json');
  const opening = inputOptions(values);
  const preprocessing = preprocessOptions(values);
  const backend = backendOption(values);
  const threads = threadsOption(values);
  const model = await loadOnnx(modelPath);
  const decoder = knownDecoder(model);
  const { threshold, thresholdMode, thresholds } = await thresholdChoice(values, model.layers);
  const shownLayer = values.overlay || values.trace ? String(values.layer ?? model.layers[0]) : undefined;
  if (shownLayer !== undefined && !model.layers.includes(shownLayer)) throw new UsageError(`--layer ${shownLayer}: no such layer; layers: ${model.layers.join(', ')}`);
  // --stretch without --size: a video file is decoded at the model's input size by ffmpeg (see
  // openInput), unless --overlay draws on the frames as they come.
  const [, , modelHeight, modelWidth] = model.inputs[0]!.dims;
  const decodedAtModelSize = !values.overlay && opening.width === undefined && opening.fit === 'stretch' && modelWidth !== undefined && modelHeight !== undefined;
  const input = await openInput(inputSpec, decodedAtModelSize ? { ...opening, width: modelWidth, height: modelHeight } : opening);
  const total = maxFrames !== undefined && input.total !== undefined ? Math.min(maxFrames, input.total) : (maxFrames ?? input.total);

  // Scene cuts are measured on the frames as they enter the model; with --scene-cut they are also keyframes.
  const sceneCuts = new Map<number, boolean>();
  const frameSizes = new Set<string>();
  let previous: Frame | undefined;
  const measured = (maxFrames ? input.frames.pipe(take(maxFrames)) : input.frames).pipe(
    tap((frame) => {
      frameSizes.add(`${frame.width}x${frame.height}`);
      const comparable = previous && previous.width === frame.width && previous.height === frame.height && previous.channels === frame.channels;
      sceneCuts.set(frame.index, comparable ? changedPixelFraction(previous!, frame, SCENE_CUT_LEVELS) > (sceneCut ?? DEFAULT_SCENE_CUT) : false);
      previous = frame;
    }),
  );
  const frames: Observable<Frame> = (sceneCut !== undefined ? measured.pipe(keyframes({ maxActive: sceneCut, pixelThreshold: SCENE_CUT_LEVELS })) : measured).pipe(share());
  const overlay = values.overlay ? new OverlaySink(String(values.overlay), shownLayer!, decoder, model, preprocessing.fit ?? 'stretch') : undefined;
  const rrm = (overlay ? frames.pipe(tap((frame) => overlay.remember(frame))) : frames).pipe(
    model.pipeline({
      preprocess: preprocessing, threshold, thresholdMode, ...(thresholds ? { thresholds } : {}), ...(keyframeEvery ? { keyframeEvery } : {}),
      ...(shownLayer ? { traceLayers: [shownLayer] } : {}), backend, threads,
    }),
  );
  const dense = values['compare-dense'] ? frames.pipe(model.pipeline({ preprocess: preprocessing, keyframeEvery: 1, backend, threads })) : undefined;

  console.error(`rx-rrm: ${modelPath} on ${input.description}${total ? ` (${total} frames)` : ''}, ${backend.name} kernels${threads === 2 ? ' on 2 threads (frame pipeline)' : ''}`);
  const progress = createProgress(total);
  const records: FrameRecord[] = [];
  const denseRecords: FrameRecord[] = [];
  const jsonFrames: FrameJson[] = [];
  const comparisons: FrameDetectionComparison[] = [];
  const worstDeviation: Record<string, number> = {};
  let layers: ReturnType<typeof layersJson> | undefined;
  const started = performance.now();
  const paired: Observable<[ModelOutput, ModelOutput | undefined]> = dense ? zip(rrm, dense) : rrm.pipe(map((out) => [out, undefined]));
  const running = lastValueFrom(
    paired.pipe(
      concatMap(async (pair) => {
        await overlay?.write(pair[0], records.length === 0);
        return pair;
      }),
      tap(([out, reference]) => {
        // The first frame of a run is computed densely whether or not it was marked.
        const record: FrameRecord = { index: out.index, keyframe: out.keyframe || records.length === 0, sceneCut: sceneCuts.get(out.index) ?? false, stats: out.stats };
        sceneCuts.delete(out.index);
        progress.update(out.stats, record.keyframe);
        records.push(record);
        layers ??= layersJson(out.stats);
        const json = values.json ? frameJson({ ...record, timestamp: out.timestamp, sceneCut: record.sceneCut ?? false }) : undefined;
        if (json && decoder) json.detections = detectionsJson(decoder.detect(out));
        if (json && values.trace) json.trace = traceJson(out.stats.find((s) => s.layer === shownLayer));
        if (reference) {
          denseRecords.push({ index: reference.index, keyframe: true, stats: reference.stats });
          const deviation = deviationByOutput(out, reference);
          for (const [name, value] of Object.entries(deviation)) worstDeviation[name] = Math.max(worstDeviation[name] ?? 0, value);
          const agreement = decoder?.compare(out, reference);
          if (agreement) comparisons.push(agreement);
          if (json) {
            json.deviation = deviation;
            if (agreement) json.agreement = agreement;
          }
        }
        if (json) jsonFrames.push(json);
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

  const computeMs = (list: readonly FrameRecord[]) => list.reduce((sum, r) => sum + r.stats.reduce((s, l) => s + l.timeMs, 0), 0);
  // Two threads overlap their layers' times, which then do not add up to the model's time: the
  // whole run's is counted instead (decoding included, which competes for the same cores).
  const modelMs = (list: readonly FrameRecord[]) => (threads === 2 ? wallMs : computeMs(list));
  const summary = summarize(records, modelMs(records));
  const denseSummary = dense ? summarize(denseRecords, modelMs(denseRecords)) : undefined;
  const maxDeviation = dense ? Math.max(...Object.values(worstDeviation)) : undefined;
  const agreement = dense && decoder ? detectionAgreement(comparisons) : undefined;
  console.log(fitLine(frameSizes, model.inputs[0]!.dims, fitOption(values), opening.width !== undefined ? `${opening.width}x${opening.height}` : undefined, decodedAtModelSize));
  console.log(
    formatSummary(summary, {
      ...(denseSummary ? { dense: denseSummary } : {}),
      ...(maxDeviation !== undefined ? { maxDeviation } : {}),
      ...(agreement ? { detections: formatDetectionAgreement(agreement, decoder!.name) } : {}),
    }),
  );
  if (dense) for (const [name, value] of Object.entries(worstDeviation)) console.log(`deviation of ${name}: max ${value.toExponential(2)}`);
  if (dense && !decoder) console.log('(no known detection decoder for this model: only raw output deviations are compared)');
  console.log(
    threads === 2
      ? `(frames/s over the whole run, ${(wallMs / 1000).toFixed(1)} s with decoding${dense ? ' and the dense comparison' : ''}: on two threads the layers' times overlap and do not add up)`
      : `(frames/s count the model's compute only; the whole run took ${(wallMs / 1000).toFixed(1)} s with decoding${dense ? ' and the dense comparison' : ''})`,
  );
  if (values.json) {
    const document = {
      schema: RUN_JSON_SCHEMA,
      model: modelPath,
      input: inputSpec,
      threshold,
      thresholdMode,
      ...(thresholds ? { thresholds } : {}),
      fit: fitOption(values),
      decoder: decoder?.name ?? null,
      layers,
      summary,
      ...(agreement ? { detectionAgreement: agreement } : {}),
      frames: jsonFrames,
    };
    await writeFile(String(values.json), JSON.stringify(document));
    console.log(`per-frame records: ${values.json}`);
  }
  if (overlay) console.log(`overlay video: ${values.overlay} (layer ${shownLayer}${decoder ? `, ${decoder.name} detections boxed` : ''})`);
  if (values.plot) {
    await writeActivityPlot(String(values.plot), records, { title: `rx-rrm: ${modelPath} on ${input.description}` });
    console.log(`activity plot: ${values.plot}`);
  }
}

/** What happened to frames of another aspect ratio, in one line. */
function fitLine(sizes: ReadonlySet<string>, dims: readonly (number | undefined)[], fit: 'letterbox' | 'stretch', requested: string | undefined, decodedAtModelSize: boolean): string {
  const [, , height, width] = dims;
  const target = requested ?? (width && height ? `${width}x${height}` : undefined);
  const from = [...sizes].join(', ');
  if (!target || (sizes.size === 1 && from === target)) return `input             ${from} frames${decodedAtModelSize ? " (stretched by ffmpeg to the model's input as decoded, --stretch)" : ''}`;
  const how = fit === 'letterbox' ? 'letterboxed (aspect ratio kept, black bars; --stretch to stretch)' : 'stretched (--stretch)';
  return `input             ${from} frames ${how} to ${target}${requested ? ' (--size)' : " (the model's input)"}`;
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
