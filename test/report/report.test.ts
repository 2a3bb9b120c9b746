// Reports read dense fallbacks honestly (a lower bound, "dense (≥ x%)"), and the pictures show what
// the stats say: the heat map's cells, markers and multiply-add bars, and the overlay's dense frames.
import { PNG } from 'pngjs';
import t from 'tap';
import { activityPlotLayout, heatColor, renderActivityPlot } from '../../src/report/activity-plot.js';
import { formatActivity, layerActivity } from '../../src/report/layer-activity.js';
import { drawOverlay } from '../../src/report/overlay.js';
import { activeQuantile, formatActiveQuantile, formatSummary, summarize, type FrameRecord } from '../../src/report/run-summary.js';
import type { Frame, LayerStats } from '../../src/types.js';

const stat = (layer: string, activeFraction: number, dense: boolean, macs = 0, denseMacs = 100): LayerStats => ({ layer, kind: 'conv', activeFraction, macs, denseMacs, dense, timeMs: 0.1 });

t.test('a dense fallback is a lower bound; a keyframe is a keyframe', async (t) => {
  t.equal(formatActivity(layerActivity(stat('a', 0.15, true), false)), 'dense (≥ 15.0%)');
  t.equal(formatActivity(layerActivity(stat('a', 1, true), false)), 'dense', 'always-dense layers');
  t.equal(formatActivity(layerActivity(stat('a', 1, true), true)), 'keyframe');
  t.equal(formatActivity(layerActivity(stat('a', 0.042, false), false)), '4.2%');
});

t.test('quantiles over dense fallbacks say when they are only lower bounds', async (t) => {
  const sparse = (v: number) => ({ kind: 'sparse', active: v }) as const;
  const dense = (v: number) => ({ kind: 'dense', atLeast: v }) as const;
  t.same(activeQuantile([sparse(0.1), sparse(0.2), sparse(0.3)], 0.5), { value: 0.2, dense: false, lowerBound: false });
  // A fallback at 0.15 (really anywhere above) sorts below the median: the median may be higher.
  t.equal(formatActiveQuantile(activeQuantile([sparse(0.1), dense(0.15), sparse(0.2), sparse(0.3)], 0.5)), '≥ 20.0%');
  t.equal(formatActiveQuantile(activeQuantile([sparse(0.1), dense(0.25), dense(0.25)], 0.9)), 'dense (≥ 25.0%)');
  // A fallback above the quantile cannot change it.
  t.equal(formatActiveQuantile(activeQuantile([sparse(0.1), sparse(0.2), dense(0.25)], 0.5)), '20.0%');
});

t.test('the summary table shows fallbacks and counts them per layer', async (t) => {
  const records: FrameRecord[] = [
    { index: 0, keyframe: false, stats: [stat('c1', 1, true, 100)] },
    { index: 1, keyframe: false, stats: [stat('c1', 0.25, true, 100)] },
    { index: 2, keyframe: false, stats: [stat('c1', 0.3, true, 100)] },
    { index: 3, keyframe: false, stats: [stat('c1', 0.05, false, 5)] },
  ];
  const summary = summarize(records, 10);
  t.equal(summary.keyframes, 1, 'the first frame counts as a keyframe');
  t.equal(summary.layers[0]!.denseFallbacks, 2);
  t.match(formatSummary(summary), /c1\s+conv\s+dense \(≥ 30\.0%\)\s+100\.0%\s+2\s+76\.3%/, 'median: a fallback; p90: the keyframe; 2 fallbacks; MACs');
  t.match(formatSummary(summary), /delta frames on which the layer fell back to dense/);
});

/** Decodes a PNG into a pixel reader. */
function pixels(png: Uint8Array): { width: number; height: number; at: (x: number, y: number) => number[] } {
  const image = PNG.sync.read(Buffer.from(png));
  return { width: image.width, height: image.height, at: (x, y) => [...image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3)] };
}

t.test('heat map: each cell has the colour of its layer and frame, fallbacks and keyframes their own; MAC bars follow the work', async (t) => {
  const frames = 12;
  // Frames 0 (the first) and 6 are keyframes, where every layer computes densely.
  const key = (f: number) => f === 0 || f === 6;
  const records: FrameRecord[] = Array.from({ length: frames }, (_, f) => ({
    index: f,
    keyframe: f === 6,
    sceneCut: f === 6,
    stats: [
      { ...stat('toTensor', 0.5, false, 0, 0), kind: 'toTensor' },
      key(f) ? stat('stem', 1, true, 200, 200) : stat('stem', f / 20, false, f * 10, 200),
      key(f) ? stat('Conv #2', 1, true, 100, 100) : stat('Conv #2', 0.3, f === 3, f === 3 ? 100 : 30, 100),
    ],
  }));
  const png = await renderActivityPlot(records, { width: 600, title: 'test plot' });
  const image = pixels(png);
  const layout = activityPlotLayout(records, { width: 600 });
  t.same(layout.layers, ['stem', 'Conv #2'], 'rows: the layers with multiply-adds, in order');
  t.same([image.width, image.height], [layout.width, layout.height]);
  const cell = (frame: number, row: number) => image.at(layout.heatLeft + frame * layout.columnWidth + 1, layout.heatTop + row * layout.rowHeight + 1);
  t.same(cell(4, 0), [...heatColor(4 / 20)], 'stem, frame 4: its active fraction');
  t.same(cell(5, 1), [...heatColor(0.3)], 'Conv #2, frame 5');
  t.notSame(cell(3, 1), [...heatColor(0.3)], 'Conv #2 fell back to dense on frame 3: not the colour of 30%');
  t.same(cell(3, 1), [49, 54, 149], 'the dense-fallback colour');
  t.same(cell(6, 0), cell(0, 0), 'keyframes (the first and frame 6) share the keyframe colour');
  t.notSame(cell(6, 0), [...heatColor(1)]);
  t.notSame(cell(6, 0), [49, 54, 149], 'and it is not the fallback colour');
  const markerAt = (frame: number, dy: number) => image.at(layout.heatLeft + frame * layout.columnWidth + Math.floor(layout.columnWidth / 2), layout.heatTop + dy);
  t.same(markerAt(6, -4), [214, 39, 40], 'a keyframe marker above frame 6');
  t.same(markerAt(6, -10), [255, 127, 14], 'a scene-cut marker above frame 6');
  t.same(markerAt(5, -4), [255, 255, 255], 'none above frame 5');
  // MAC panel: the bar of frame 3 (100 + 30 = 130 of 300) is taller than frame 1's (10 + 30 = 40).
  const barTop = (frame: number) => {
    const x = layout.heatLeft + frame * layout.columnWidth + 1;
    for (let y = layout.macTop; y < layout.height; y++) if (image.at(x, y).join() === '49,130,189') return y;
    return Infinity;
  };
  t.ok(barTop(3) < barTop(1), `frame 3's bar (top ${barTop(3)}) is taller than frame 1's (${barTop(1)})`);
  t.ok(barTop(0) < barTop(3), "the keyframe's bar is the tallest (all dense)");
  // Labels are drawn: ink left of the rows.
  let ink = 0;
  for (let x = 0; x < layout.heatLeft - 4; x++) for (let y = layout.heatTop; y < layout.heatTop + 2 * layout.rowHeight; y++) if (image.at(x, y)[0]! < 100) ink++;
  t.ok(ink > 20, `row labels drawn (${ink} dark pixels)`);
});

t.test('overlay: a dense layer tints the whole frame and says so; a sparse one only its pixels', async (t) => {
  const frame: Frame = { data: new Uint8Array(200 * 100 * 3).fill(100), width: 200, height: 100, channels: 3, index: 1, timestamp: 40 };
  // The layer's input grid is half the frame's size: each traced pixel covers 2x2 frame pixels.
  const traced = (dense: boolean, activeFraction: number): LayerStats => ({ ...stat('stem', activeFraction, dense), activity: { width: 100, height: 50, pixels: Int32Array.of(0, 1, 101) } });
  const sparse = drawOverlay(frame, { stats: traced(false, 3 / 1200), keyframe: false }, []);
  const tinted = (rgb: Uint8Array) => Array.from({ length: 200 * 100 }, (_, p) => rgb[p * 3]! > 100).filter(Boolean).length;
  t.equal(tinted(sparse), 12, 'only the three traced pixels, 2x2 each');
  t.ok(sparse[(2 * 200 + 2) * 3]! > 100 && sparse[(2 * 200 + 0) * 3]! === 100, 'grid pixel 101 covers frame pixels (2..3, 2..3), grid pixel 100 is not traced');
  // A fallback's trace lists the pixels counted before the crossover, in scan order: not drawn as such.
  const dense = drawOverlay(frame, { stats: traced(true, 0.15), keyframe: false }, []);
  t.ok(tinted(dense) > 200 * 100 - 140 * 14, 'the whole frame but the label box');
  t.same([...dense.subarray((50 * 200 + 150) * 3, (50 * 200 + 150) * 3 + 3)], [178, 70, 50], 'tinted red at half strength');
});
