/**
 * The activity picture of a run, as a PNG: a heat map of layers (rows, network order) × frames
 * (columns) coloured by the fraction of input pixels each layer integrated, dense fallbacks and
 * keyframes in their own colours, keyframes and scene cuts marked above; below it, the
 * multiply-adds done per frame against the dense count. Drawn pixel by pixel (no plotting library,
 * no fonts needed) and encoded by pngjs.
 */
import { writeFile } from 'node:fs/promises';
import { GLYPH_HEIGHT, GLYPH_WIDTH } from './bitmap-font.js';
import { activeValue, isLinearLayer, layerActivity, type LayerActivity } from './layer-activity.js';
import { Raster, type Rgb } from './raster.js';
import { isKeyframe, type FrameRecord } from './run-summary.js';

export interface ActivityPlotOptions {
  /** Width of the picture in pixels (default 1000). */
  readonly width?: number;
  readonly title?: string;
}

const INK: Rgb = [30, 30, 30];
const GRID: Rgb = [200, 200, 200];
const DENSE: Rgb = [49, 54, 149];
const KEYFRAME: Rgb = [70, 70, 70];
const KEYFRAME_MARK: Rgb = [214, 39, 40];
const SCENE_CUT_MARK: Rgb = [255, 127, 14];
const DONE: Rgb = [49, 130, 189];
/** Light yellow to dark red (ColorBrewer YlOrRd), for active fractions 0..1 on a square-root scale. */
const HEAT: readonly Rgb[] = [[255, 255, 204], [254, 217, 118], [253, 141, 60], [227, 26, 28], [128, 0, 38]];
const MAX_LABEL_CHARACTERS = 28;
const MARGIN = 12;
const MAC_PANEL_HEIGHT = 130;

/** The colour of an active fraction (square-root scale, so that the usual few percent show). */
export function heatColor(fraction: number): Rgb {
  const position = Math.sqrt(Math.min(1, Math.max(0, fraction))) * (HEAT.length - 1);
  const k = Math.min(HEAT.length - 2, Math.floor(position));
  const f = position - k;
  return [0, 1, 2].map((c) => Math.round(HEAT[k]![c]! * (1 - f) + HEAT[k + 1]![c]! * f)) as unknown as Rgb;
}

/** One column of the heat map: one frame, or several when there are more frames than pixels. */
interface Column {
  readonly firstIndex: number;
  readonly cells: readonly Cell[];
  readonly keyframe: boolean;
  readonly sceneCut: boolean;
  readonly macs: number;
  readonly denseMacs: number;
}

type Cell = { readonly kind: LayerActivity['kind']; readonly value: number };

/** Where things are drawn, computed once. */
export interface PlotLayout {
  readonly width: number;
  readonly height: number;
  readonly heatLeft: number;
  readonly heatTop: number;
  readonly columnWidth: number;
  readonly rowHeight: number;
  readonly framesPerColumn: number;
  readonly macTop: number;
}

export function activityPlotLayout(records: readonly FrameRecord[], options: ActivityPlotOptions = {}): PlotLayout & { readonly layers: readonly string[] } {
  const layers = (records[0]?.stats ?? []).filter(isLinearLayer).map((s) => s.layer);
  const width = Math.max(500, options.width ?? 1000);
  const labelWidth = Math.min(MAX_LABEL_CHARACTERS, Math.max(5, ...layers.map((l) => l.length))) * GLYPH_WIDTH;
  const heatLeft = MARGIN + labelWidth + 6;
  const legendWidth = 150;
  const plotWidth = width - heatLeft - legendWidth - MARGIN;
  const framesPerColumn = Math.max(1, Math.ceil(records.length / plotWidth));
  const columns = Math.max(1, Math.ceil(records.length / framesPerColumn));
  const columnWidth = Math.max(1, Math.floor(plotWidth / columns));
  const rowHeight = Math.max(3, Math.min(12, Math.floor(520 / Math.max(1, layers.length))));
  const heatTop = MARGIN + 2 * GLYPH_HEIGHT + 16;
  const macTop = heatTop + layers.length * rowHeight + 2 * GLYPH_HEIGHT + 24;
  const height = Math.max(macTop + MAC_PANEL_HEIGHT + 2 * GLYPH_HEIGHT + 12, heatTop + 230);
  return { width, height, heatLeft, heatTop, columnWidth, rowHeight, framesPerColumn, macTop, layers };
}

/** Renders the picture to PNG bytes. */
export async function renderActivityPlot(records: readonly FrameRecord[], options: ActivityPlotOptions = {}): Promise<Uint8Array> {
  const layout = activityPlotLayout(records, options);
  const raster = new Raster(layout.width, layout.height);
  const columns = toColumns(records, layout.layers, layout.framesPerColumn);
  raster.text(MARGIN, MARGIN, truncate(options.title ?? 'rx-rrm: active input pixels per layer and frame', Math.floor((layout.width - 2 * MARGIN) / GLYPH_WIDTH)), INK);
  drawHeatMap(raster, layout, columns);
  drawMacPanel(raster, layout, columns);
  drawLegend(raster, layout);
  return new Uint8Array(raster.toPng());
}

export async function writeActivityPlot(path: string, records: readonly FrameRecord[], options: ActivityPlotOptions = {}): Promise<void> {
  await writeFile(path, await renderActivityPlot(records, options));
}

function toColumns(records: readonly FrameRecord[], layers: readonly string[], framesPerColumn: number): Column[] {
  const columns: Column[] = [];
  for (let start = 0; start < records.length; start += framesPerColumn) {
    const group = records.slice(start, start + framesPerColumn);
    const keyframe = group.some((r, k) => isKeyframe(r, start + k));
    const cells = layers.map((layer): Cell => {
      const activities = group.map((r, k) => {
        const stat = r.stats.find((s) => s.layer === layer);
        return stat ? layerActivity(stat, isKeyframe(r, start + k)) : ({ kind: 'sparse', active: 0 } as const);
      });
      // Several frames in one column show the densest of them.
      const kind = activities.some((a) => a.kind === 'keyframe') ? 'keyframe' : activities.some((a) => a.kind === 'dense') ? 'dense' : 'sparse';
      return { kind, value: activities.reduce((sum, a) => sum + activeValue(a), 0) / activities.length };
    });
    const sum = (pick: (s: FrameRecord['stats'][number]) => number) => group.reduce((n, r) => n + r.stats.reduce((m, s) => m + pick(s), 0), 0) / group.length;
    columns.push({ firstIndex: group[0]!.index, cells, keyframe, sceneCut: group.some((r) => r.sceneCut), macs: sum((s) => s.macs), denseMacs: sum((s) => s.denseMacs) });
  }
  return columns;
}

function drawHeatMap(raster: Raster, layout: ReturnType<typeof activityPlotLayout>, columns: readonly Column[]): void {
  const { heatLeft, heatTop, columnWidth, rowHeight, layers } = layout;
  const heatWidth = columns.length * columnWidth;
  raster.text(heatLeft, heatTop - GLYPH_HEIGHT - 14, 'active input pixels per layer (rows) and frame (columns)', INK);
  columns.forEach((column, c) => {
    const x = heatLeft + c * columnWidth;
    column.cells.forEach((cell, row) => {
      const color = cell.kind === 'keyframe' ? KEYFRAME : cell.kind === 'dense' ? DENSE : heatColor(cell.value);
      raster.fillRect(x, heatTop + row * rowHeight, columnWidth, rowHeight, color);
    });
    // Markers above the map: keyframes red, scene cuts orange (a cut that is also a keyframe shows both).
    if (column.keyframe) marker(raster, x + Math.floor(columnWidth / 2), heatTop - 3, KEYFRAME_MARK);
    if (column.sceneCut) marker(raster, x + Math.floor(columnWidth / 2), heatTop - 9, SCENE_CUT_MARK);
  });
  raster.strokeRect(heatLeft - 1, heatTop - 1, heatWidth + 2, layers.length * rowHeight + 2, GRID);
  // Row labels: every row when they fit, else every k-th.
  const every = Math.ceil((GLYPH_HEIGHT + 1) / rowHeight);
  layers.forEach((layer, row) => {
    if (row % every !== 0) return;
    const y = heatTop + row * rowHeight + Math.floor((rowHeight - GLYPH_HEIGHT) / 2);
    raster.text(heatLeft - 6, y, truncate(layer, MAX_LABEL_CHARACTERS), INK, 'right');
  });
  frameAxis(raster, layout, columns, heatTop + layers.length * rowHeight + 3);
}

function drawMacPanel(raster: Raster, layout: ReturnType<typeof activityPlotLayout>, columns: readonly Column[]): void {
  const { heatLeft, macTop, columnWidth } = layout;
  const top = macTop + GLYPH_HEIGHT + 6;
  const height = MAC_PANEL_HEIGHT - GLYPH_HEIGHT - 6;
  const width = columns.length * columnWidth;
  // Headroom above the dense count, so that its line stays clear of the frame.
  const ceiling = 1.1 * Math.max(1, ...columns.map((c) => Math.max(c.denseMacs, c.macs)));
  const y = (macs: number) => top + height - Math.round((macs / ceiling) * height);
  const done = columns.reduce((n, c) => n + c.macs, 0);
  const dense = columns.reduce((n, c) => n + c.denseMacs, 0);
  raster.text(heatLeft, macTop, `multiply-adds per frame: done (bars) against dense (line); ${((done / Math.max(1, dense)) * 100).toFixed(1)}% of dense over the run`, INK);
  raster.strokeRect(heatLeft - 1, top - 1, width + 2, height + 2, GRID);
  columns.forEach((column, c) => {
    const x = heatLeft + c * columnWidth;
    raster.fillRect(x, y(column.macs), Math.max(1, columnWidth - (columnWidth > 3 ? 1 : 0)), top + height - y(column.macs), DONE);
  });
  columns.forEach((column, c) => {
    const x = heatLeft + c * columnWidth;
    raster.fillRect(x, y(column.denseMacs), columnWidth, 1, INK);
    const next = columns[c + 1];
    if (next && next.denseMacs !== column.denseMacs) raster.line(x + columnWidth, y(column.denseMacs), x + columnWidth, y(next.denseMacs), INK);
  });
  raster.text(heatLeft - 6, top - 2, formatMacs(ceiling), INK, 'right');
  raster.text(heatLeft - 6, top + height - GLYPH_HEIGHT + 2, '0', INK, 'right');
  frameAxis(raster, layout, columns, top + height + 3);
}

function drawLegend(raster: Raster, layout: ReturnType<typeof activityPlotLayout>): void {
  const left = layout.width - MARGIN - 138;
  let y = layout.heatTop;
  raster.text(left, y, 'active pixels', INK);
  y += GLYPH_HEIGHT + 4;
  const barHeight = 120;
  for (let k = 0; k < barHeight; k++) {
    const fraction = (1 - k / (barHeight - 1)) ** 2; // the colour scale is square-root
    raster.fillRect(left, y + k, 16, 1, heatColor(fraction));
  }
  raster.strokeRect(left - 1, y - 1, 18, barHeight + 2, GRID);
  for (const fraction of [1, 0.5, 0.25, 0.1, 0.02, 0]) {
    const ty = y + Math.round((1 - Math.sqrt(fraction)) * (barHeight - 1));
    raster.fillRect(left + 17, ty, 3, 1, INK);
    raster.text(left + 22, ty - GLYPH_HEIGHT / 2, `${fraction * 100}%`, INK);
  }
  y += barHeight + 14;
  const swatch = (color: Rgb, lines: string[]) => {
    raster.fillRect(left, y, 16, 10, color);
    lines.forEach((line, k) => raster.text(left + 22, y + k * (GLYPH_HEIGHT + 1), line, INK));
    y += lines.length * (GLYPH_HEIGHT + 1) + 8;
  };
  swatch(DENSE, ['dense fallback', '(active ≥ its', 'crossover)']);
  swatch(KEYFRAME, ['keyframe (dense)']);
  marker(raster, left + 8, y + 7, KEYFRAME_MARK);
  raster.text(left + 22, y, 'keyframe', INK);
  y += GLYPH_HEIGHT + 6;
  marker(raster, left + 8, y + 7, SCENE_CUT_MARK);
  raster.text(left + 22, y, 'scene cut', INK);
}

/** Frame numbers under a panel, at round steps. */
function frameAxis(raster: Raster, layout: ReturnType<typeof activityPlotLayout>, columns: readonly Column[], top: number): void {
  const { heatLeft, columnWidth } = layout;
  const labelEvery = Math.max(1, Math.ceil((7 * GLYPH_WIDTH) / columnWidth));
  const step = niceStep(labelEvery * layout.framesPerColumn);
  let lastRight = -Infinity;
  columns.forEach((column, c) => {
    const frameStart = column.firstIndex;
    const frameEnd = frameStart + layout.framesPerColumn;
    const tick = Math.ceil(frameStart / step) * step;
    if (tick >= frameEnd) return;
    const x = heatLeft + c * columnWidth + Math.floor(columnWidth / 2);
    const label = String(tick);
    if (x - (label.length * GLYPH_WIDTH) / 2 < lastRight + GLYPH_WIDTH) return;
    raster.fillRect(x, top, 1, 3, INK);
    raster.text(x, top + 4, label, INK, 'center');
    lastRight = x + (label.length * GLYPH_WIDTH) / 2;
  });
  raster.text(heatLeft + columns.length * columnWidth, top + 4, 'frame', INK, 'left');
}

/** A small downward triangle whose tip is at (x, y). */
function marker(raster: Raster, x: number, y: number, color: Rgb): void {
  for (let row = 0; row < 5; row++) raster.fillRect(Math.round(x) - row, y - row, 2 * row + 1, 1, color);
}

function niceStep(least: number): number {
  for (const step of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000]) if (step >= least) return step;
  return Math.ceil(least / 10000) * 10000;
}

function formatMacs(macs: number): string {
  return macs >= 1e6 ? `${(macs / 1e6).toFixed(1)} M` : macs >= 1e3 ? `${(macs / 1e3).toFixed(1)} k` : String(Math.round(macs));
}

function truncate(text: string, characters: number): string {
  return [...text].length <= characters ? text : `${[...text].slice(0, characters - 1).join('')}…`;
}
