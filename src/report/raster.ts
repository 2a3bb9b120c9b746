/**
 * An RGB picture in memory with the few drawing operations rx-rrm's pictures need (rectangles,
 * lines, blended tints, bitmap text), encoded to PNG by pngjs. Coordinates outside are clipped.
 */
import { PNG } from 'pngjs';
import { GLYPH_HEIGHT, textPixels, textWidth } from './bitmap-font.js';

export type Rgb = readonly [number, number, number];

export class Raster {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** An existing RGB buffer (not copied). */
  static wrap(data: Uint8Array, width: number, height: number): Raster {
    const raster = Object.create(Raster.prototype) as { data: Uint8Array; width: number; height: number };
    Object.assign(raster, { data, width, height });
    return raster as Raster;
  }

  setPixel(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.data.set(color, (Math.floor(y) * this.width + Math.floor(x)) * 3);
  }

  getPixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.data[i]!, this.data[i + 1]!, this.data[i + 2]!];
  }

  fillRect(x: number, y: number, width: number, height: number, color: Rgb): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + width));
    const y1 = Math.min(this.height, Math.floor(y + height));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.data.set(color, (yy * this.width + xx) * 3);
  }

  /** Mixes `color` into the rectangle with weight `alpha` (0..1). */
  tintRect(x: number, y: number, width: number, height: number, color: Rgb, alpha: number): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + width));
    const y1 = Math.min(this.height, Math.floor(y + height));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * this.width + xx) * 3;
        for (let c = 0; c < 3; c++) this.data[i + c] = Math.round(this.data[i + c]! * (1 - alpha) + color[c]! * alpha);
      }
    }
  }

  /** A rectangle's outline, `thickness` pixels wide, inside its bounds. */
  strokeRect(x: number, y: number, width: number, height: number, color: Rgb, thickness = 1): void {
    this.fillRect(x, y, width, thickness, color);
    this.fillRect(x, y + height - thickness, width, thickness, color);
    this.fillRect(x, y, thickness, height, color);
    this.fillRect(x + width - thickness, y, thickness, height, color);
  }

  /** A straight line (Bresenham). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
    [x0, y0, x1, y1] = [x0, y0, x1, y1].map(Math.round) as [number, number, number, number];
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let error = dx + dy;
    for (;;) {
      this.setPixel(x0, y0, color);
      if (x0 === x1 && y0 === y1) return;
      const e2 = 2 * error;
      if (e2 >= dy) (error += dy), (x0 += sx);
      if (e2 <= dx) (error += dx), (y0 += sy);
    }
  }

  /** Text with its top-left corner at (x, y); `align` says which edge x is. Returns its width. */
  text(x: number, y: number, text: string, color: Rgb, align: 'left' | 'right' | 'center' = 'left', scale = 1): number {
    const width = textWidth(text) * scale;
    const left = align === 'left' ? x : align === 'right' ? x - width : x - width / 2;
    textPixels(text, (px, py) => this.fillRect(left + px * scale, y + py * scale, scale, scale, color));
    return width;
  }

  /** Text on a filled box with a one-pixel margin, for labels over pictures. */
  label(x: number, y: number, text: string, color: Rgb, background: Rgb): void {
    this.fillRect(x, y, textWidth(text) + 4, GLYPH_HEIGHT + 2, background);
    this.text(x + 2, y + 1, text, color);
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
  }
}
