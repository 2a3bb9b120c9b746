/**
 * The activity plot: active fraction per layer over time, one line per layer, keyframes marked.
 * Declared with Vega-Lite, rendered to SVG by Vega (no browser, no canvas) and rasterised to PNG by
 * sharp (libvips/librsvg).
 */
import { writeFile } from 'node:fs/promises';
import type { FrameRecord } from './run-summary.js';

export interface ActivityPlotOptions {
  readonly width?: number;
  readonly height?: number;
  readonly title?: string;
}

/** Renders the plot to PNG bytes. */
export async function renderActivityPlot(records: readonly FrameRecord[], options: ActivityPlotOptions = {}): Promise<Uint8Array> {
  const [{ compile }, vega, sharp] = await Promise.all([import('vega-lite'), import('vega'), loadSharp()]);
  const rows = records.flatMap((record) =>
    record.stats.filter((s) => s.kind === 'conv' || s.kind === 'fc').map((s) => ({ frame: record.index, layer: s.layer, active: s.activeFraction })),
  );
  const keyframes = records.filter((r) => r.keyframe).map((r) => ({ frame: r.index }));
  const width = options.width ?? 900;
  const height = options.height ?? 420;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title ?? 'rx-rrm: active input pixels per layer',
    width,
    height,
    background: 'white',
    layer: [
      {
        data: { values: keyframes },
        mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] },
        encoding: { x: { field: 'frame', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'frame', type: 'quantitative', title: 'frame (dashed red: keyframes)' },
          y: { field: 'active', type: 'quantitative', title: 'active fraction of input pixels', axis: { format: '%' }, scale: { domain: [0, 1] } },
          color: { field: 'layer', type: 'nominal', sort: null, legend: { title: 'layer' } },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

export async function writeActivityPlot(path: string, records: readonly FrameRecord[], options: ActivityPlotOptions = {}): Promise<void> {
  await writeFile(path, await renderActivityPlot(records, options));
}

type RasteriseSvg = (svg: Buffer) => import('sharp').Sharp;

async function loadSharp(): Promise<RasteriseSvg> {
  try {
    const module = (await import('sharp')) as unknown as { default: RasteriseSvg };
    return module.default;
  } catch (error) {
    throw new Error(`rendering the activity plot needs the optional dependency sharp, which failed to load: ${(error as Error).message}`);
  }
}
