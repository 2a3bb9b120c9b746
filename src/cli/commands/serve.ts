/** `rx-rrm serve`: a worker of a pool that shares the cameras published to Redis (docs/scale-out.md). */
import { Subject, lastValueFrom, tap } from 'rxjs';
import { knownDecoder } from '../../model/detections.js';
import { loadOnnx } from '../../model/model.js';
import type { ResultOptions } from '../../scale/result-fields.js';
import type { WorkerEvent } from '../../scale/worker-events.js';
import { redisWorkers } from '../../scale/workers.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { backendOption, MODEL_OPTIONS, threadsOption, optionalNumber, preprocessOptions, requireString, THRESHOLD_OPTIONS, thresholdChoice } from '../model-options.js';
import { cameraPatternOption, redisUrlOption, workerIdOption } from '../redis-options.js';
import { untilInterrupted } from '../signals.js';

export const SERVE_USAGE = `rx-rrm serve --redis URL --model m.onnx [--threshold τ]
  runs the model on the cameras published to Redis (rx-rrm publish), sharing them with the other
  serve workers: results go to rrm:out:<camera> under each frame's entry ID. Ctrl-C (or SIGTERM)
  finishes the frames in hand and gives the cameras back; a second one stops at once (the cameras'
  next owners then redo the frames that were in hand).
  --threshold τ | --thresholds file.json   as for run (default 0: exact)
  --threshold-mode absolute|relative
  --cameras PATTERN                        the cameras this pool serves, * and ? wildcards (default *)
  --worker-id ID                           this worker's name (default <host>-<pid>)
  --lease-ms N                             a camera moves this long after its worker stopped renewing (default 3000)
  --results detections|outputs|both        what each result holds (default: detections for models with a known
                                           decoder, UltraFace- or YOLO-style, else the output tensors)
  --mean M --scale S --std D --channel-order rgb|bgr --stretch --backend native|wasm|js --threads 1|2|auto
  --verbose                                every result on stderr too`;

const SERVE_OPTIONS = {
  ...MODEL_OPTIONS,
  ...THRESHOLD_OPTIONS,
  redis: { type: 'string' },
  cameras: { type: 'string' },
  'worker-id': { type: 'string' },
  'lease-ms': { type: 'string' },
  results: { type: 'string' },
} as const;

export async function serveCommand(args: string[]): Promise<void> {
  const values = parseCommandArgs('serve', args, SERVE_OPTIONS, SERVE_USAGE);
  if (!values) return;
  const url = redisUrlOption(values);
  const modelPath = requireString(values, 'model', 'the ONNX model to run');
  const cameras = cameraPatternOption(values);
  const workerId = workerIdOption(values);
  const leaseMs = optionalNumber(values, 'lease-ms', (n) => Number.isInteger(n) && n >= 100, 'a whole number of milliseconds >= 100') ?? 3000;
  const results = String(values.results ?? 'auto');
  if (!['auto', 'detections', 'outputs', 'both'].includes(results)) throw new UsageError(`--results ${results}: expected detections, outputs or both`);
  const preprocess = preprocessOptions(values);
  const backend = backendOption(values);
  const threads = threadsOption(values);
  const model = await loadOnnx(modelPath);
  const decoder = knownDecoder(model);
  const { threshold, thresholdMode, thresholds } = await thresholdChoice(values, model.layers);
  if ((results === 'detections' || results === 'both') && !decoder) throw new UsageError(`--results ${results}: rx-rrm knows no decoder for this model's outputs (${model.outputs.map((o) => o.name).join(', ')}); use --results outputs`);
  const resultOptions: ResultOptions = decoder && results !== 'outputs' ? { detect: (output) => decoder.detect(output), outputs: results === 'both' } : { outputs: true };
  const pipeline = model.pipeline({ preprocess, threshold, thresholdMode, backend, threads, ...(thresholds ? { thresholds } : {}) });

  const stop = new Subject<void>();
  const interrupted = untilInterrupted();
  void interrupted.promise.then(() => stop.next());
  let written = 0;
  let keyframes = 0;
  const log = (line: string) => console.error(`rx-rrm serve ${workerId}: ${line}`);
  const summary = setInterval(() => log(`${written} results (${keyframes} keyframes) so far`), 10_000);
  log(`${modelPath} on cameras '${cameras}' of ${url}, ${backend.name} kernels${threads === 2 ? ' on 2 threads' : ''}, lease ${leaseMs} ms, results: ${resultOptions.detect ? 'detections' : 'outputs'}${resultOptions.detect && resultOptions.outputs ? ' and outputs' : ''}`);
  try {
    await lastValueFrom(
      redisWorkers(url, { workerId, cameras, pipeline, result: resultOptions, leaseMs, until: stop, onConnectionError: (error) => log(`Redis: ${error.message}; retrying`) }).pipe(
        tap((event) => {
          if (event.type === 'result') {
            written++;
            if (event.keyframe) keyframes++;
            if (values.verbose) log(describe(event));
          } else if (event.type !== 'started' && event.type !== 'claimed') {
            log(describe(event));
          }
        }),
      ),
      { defaultValue: undefined },
    );
  } finally {
    clearInterval(summary);
    interrupted.dispose();
  }
  log(`stopped: ${written} results (${keyframes} keyframes); cameras given back`);
}

function describe(event: WorkerEvent): string {
  switch (event.type) {
    case 'acquired': return `took ${event.camera} (token ${event.token}); it starts with a keyframe`;
    case 'released': return `gave ${event.camera} back (fair share, or stopping)`;
    case 'lost': return `lost ${event.camera}: another worker holds it now`;
    case 'dead': return `${event.camera} entry ${event.entryId} moved to rrm:dead:${event.camera}: ${event.reason}`;
    case 'trimmed': return `${event.camera}: ${event.entryIds.length} entries fell off the stream before anyone processed them`;
    case 'share': return `${event.cameras} cameras, ${event.workers} workers: holding ${event.held} of a fair share of ${event.share}`;
    case 'error': return `${event.camera ? `${event.camera}: ` : ''}${event.message}`;
    case 'result': return `${event.camera} frame ${event.index} (${event.entryId})${event.keyframe ? ' keyframe' : ''}`;
    default: return event.type;
  }
}
