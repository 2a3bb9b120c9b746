/** `run --overlay`: pairs each model output with its source frame and writes the overlay video. */
import type { DetectionDecoder } from '../model/detections.js';
import type { ModelOutput } from '../model/executor.js';
import type { OnnxModel } from '../model/model.js';
import { letterboxGeometry, type FrameFit } from '../model/preprocess.js';
import { drawOverlay, OverlayVideoWriter, type ModelPlacement } from '../report/overlay.js';
import type { Frame } from '../types.js';

export class OverlaySink {
  private readonly frames = new Map<number, Frame>();
  private writer: Promise<OverlayVideoWriter> | undefined;
  /** The first picture waits for the second frame, whose timestamp gives the video's frame rate. */
  private first: { picture: Uint8Array; frame: Frame } | undefined;

  constructor(
    private readonly path: string,
    private readonly layer: string,
    private readonly decoder: DetectionDecoder | undefined,
    private readonly model: OnnxModel,
    private readonly fit: FrameFit,
  ) {}

  remember(frame: Frame): void {
    this.frames.set(frame.index, frame);
  }

  async write(output: ModelOutput, firstOfRun: boolean): Promise<void> {
    const frame = this.frames.get(output.index);
    if (!frame) return;
    this.frames.delete(output.index);
    const placement = this.placement(frame);
    const toFrame = (x: number, y: number) => [(x - placement.offsetX) / placement.scaleX, (y - placement.offsetY) / placement.scaleY] as const;
    const boxes = (this.decoder?.detect(output) ?? []).map((b) => {
      const [x1, y1] = toFrame(b.x1, b.y1);
      const [x2, y2] = toFrame(b.x2, b.y2);
      return { x1, y1, x2, y2 };
    });
    const stats = output.stats.find((s) => s.layer === this.layer);
    const picture = drawOverlay(frame, { stats, keyframe: output.keyframe || firstOfRun }, boxes, placement);
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

  /** How preprocess placed this frame in the model's input. */
  private placement(frame: Frame): ModelPlacement {
    const [, , height, width] = this.model.inputs[0]!.dims;
    if (!width || !height) return { width: frame.width, height: frame.height, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 };
    if (this.fit === 'stretch' || (frame.width === width && frame.height === height)) {
      return { width, height, scaleX: width / frame.width, scaleY: height / frame.height, offsetX: 0, offsetY: 0 };
    }
    const placed = letterboxGeometry(frame.width, frame.height, width, height);
    return { width, height, scaleX: placed.width / frame.width, scaleY: placed.height / frame.height, offsetX: placed.offsetX, offsetY: placed.offsetY };
  }
}
