/** `run --overlay`: pairs each model output with its source frame and writes the overlay video. */
import type { ModelOutput } from '../model/executor.js';
import type { OnnxModel } from '../model/model.js';
import { decodeUltraFace } from '../model/ultraface.js';
import { drawOverlay, OverlayVideoWriter, type OverlayBox } from '../report/overlay.js';
import type { Frame } from '../types.js';

/** Boxes in model-input pixels for one output, or undefined for models without a known decoder. */
type Detector = (output: ModelOutput) => OverlayBox[];

/** UltraFace-style detectors (`scores` [1, N, 2] and `boxes` [1, N, 4]) get their faces drawn. */
export function detectorFor(model: OnnxModel): { detect: Detector; width: number; height: number } | undefined {
  const scores = model.outputs.find((o) => o.name === 'scores');
  const boxes = model.outputs.find((o) => o.name === 'boxes');
  const [, , height, width] = model.inputs[0]!.dims;
  if (!scores || !boxes || scores.dims[2] !== 2 || boxes.dims[2] !== 4 || !width || !height) return undefined;
  return {
    width,
    height,
    detect: (output) => decodeUltraFace({ scores: output.outputs.scores!, boxes: output.outputs.boxes! }, { width, height }),
  };
}

export class OverlaySink {
  private readonly frames = new Map<number, Frame>();
  private writer: Promise<OverlayVideoWriter> | undefined;
  /** The first picture waits for the second frame, whose timestamp gives the video's frame rate. */
  private first: { picture: Uint8Array; frame: Frame } | undefined;

  constructor(
    private readonly path: string,
    private readonly layer: string,
    private readonly detector: ReturnType<typeof detectorFor>,
  ) {}

  get detects(): boolean {
    return this.detector !== undefined;
  }

  remember(frame: Frame): void {
    this.frames.set(frame.index, frame);
  }

  async write(output: ModelOutput): Promise<void> {
    const frame = this.frames.get(output.index);
    if (!frame) return;
    this.frames.delete(output.index);
    const activity = output.stats.find((s) => s.layer === this.layer)?.activity;
    const sx = this.detector ? frame.width / this.detector.width : 1;
    const sy = this.detector ? frame.height / this.detector.height : 1;
    const boxes = (this.detector?.detect(output) ?? []).map((b) => ({ x1: b.x1 * sx, y1: b.y1 * sy, x2: b.x2 * sx, y2: b.y2 * sy }));
    const picture = drawOverlay(frame, activity, boxes);
    if (!this.writer && !this.first) {
      this.first = { picture, frame };
      return;
    }
    if (!this.writer) {
      const interval = frame.timestamp - this.first!.frame.timestamp;
      this.writer = OverlayVideoWriter.open(this.path, frame.width, frame.height, interval > 0 ? 1000 / interval : 25);
      await (await this.writer).write(this.first!.picture);
      this.first = undefined;
    }
    await (await this.writer).write(picture);
  }

  /** Stops the encoder after a failed run (the video is left incomplete). */
  abort(): void {
    void this.writer?.then((writer) => writer.abort());
    this.first = undefined;
  }

  async close(): Promise<void> {
    if (this.first) {
      this.writer = OverlayVideoWriter.open(this.path, this.first.frame.width, this.first.frame.height, 25);
      await (await this.writer).write(this.first.picture);
    }
    if (this.writer) await (await this.writer).close();
  }
}
