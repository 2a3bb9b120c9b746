/** Painting one frame of the demo: the picture, the layer's activity tinted red, the faces boxed. */
import type { ActivityTrace, FaceBox, Frame } from 'rx-rrm/browser';

export const BOX_COLOUR = '#22d3ee';

export class FramePainter {
  private readonly picture: OffscreenCanvas;
  private readonly tint: OffscreenCanvas;
  private readonly view: CanvasRenderingContext2D;

  constructor(canvas: HTMLCanvasElement) {
    this.view = canvas.getContext('2d')!;
    this.picture = new OffscreenCanvas(1, 1);
    this.tint = new OffscreenCanvas(1, 1);
  }

  /** Draws `frame` scaled to the canvas, then the activity (when given) and the boxes (in the frame's pixels). */
  paint(frame: Frame, boxes: readonly FaceBox[], activity: ActivityTrace | undefined): void {
    const { canvas } = this.view;
    this.view.imageSmoothingEnabled = true;
    this.view.drawImage(toCanvas(this.picture, frame.data, frame.width, frame.height, frame.channels, () => 255), 0, 0, canvas.width, canvas.height);
    if (activity) this.paintActivity(activity);
    const sx = canvas.width / frame.width;
    const sy = canvas.height / frame.height;
    this.view.lineWidth = 3;
    this.view.strokeStyle = BOX_COLOUR;
    this.view.font = '600 14px system-ui, sans-serif';
    for (const box of boxes) {
      const x = box.x1 * sx;
      const y = box.y1 * sy;
      this.view.strokeRect(x, y, (box.x2 - box.x1) * sx, (box.y2 - box.y1) * sy);
      const label = `face ${(box.score * 100).toFixed(0)}%`;
      const width = this.view.measureText(label).width + 10;
      this.view.fillStyle = BOX_COLOUR;
      this.view.fillRect(x - 1.5, Math.max(0, y - 20), width, 20);
      this.view.fillStyle = '#06202a';
      this.view.fillText(label, x + 4, Math.max(15, y - 5));
    }
  }

  private paintActivity(activity: ActivityTrace): void {
    const { canvas } = this.view;
    if (activity.pixels === 'all') {
      this.view.fillStyle = 'rgba(248, 113, 113, 0.28)';
      this.view.fillRect(0, 0, canvas.width, canvas.height);
      this.view.fillStyle = '#fecaca';
      this.view.font = '600 13px system-ui, sans-serif';
      this.view.fillText('dense: every pixel recomputed', 12, canvas.height - 12);
      return;
    }
    const mask = new Uint8Array(activity.width * activity.height);
    for (const p of activity.pixels) mask[p] = 1;
    const tinted = toCanvas(this.tint, mask, activity.width, activity.height, 1, (k) => (mask[k] ? 190 : 0), [248, 113, 113]);
    this.view.drawImage(tinted, 0, 0, canvas.width, canvas.height);
  }
}

/** Bytes into a canvas of their size: RGB(A) pictures, or one colour with a per-pixel alpha. */
function toCanvas(canvas: OffscreenCanvas, data: Uint8Array, width: number, height: number, channels: number, alpha: (pixel: number) => number, colour?: readonly number[]): OffscreenCanvas {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const image = new ImageData(width, height);
  const out = image.data;
  for (let p = 0; p < width * height; p++) {
    const i = p * channels;
    out[p * 4] = colour ? colour[0]! : data[i]!;
    out[p * 4 + 1] = colour ? colour[1]! : data[channels === 1 ? i : i + 1]!;
    out[p * 4 + 2] = colour ? colour[2]! : data[channels === 1 ? i : i + 2]!;
    out[p * 4 + 3] = alpha(p);
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return canvas;
}
