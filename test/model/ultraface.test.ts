// UltraFace box decoding against hand-computed priors and boxes.
import t from 'tap';
import { decodeUltraFace, ultraFacePriors } from '../../src/model/index.js';

t.test('priors: 4420 for 320x240, in (level, row, column, size) order', async (t) => {
  const priors = ultraFacePriors(320, 240);
  t.equal(priors.length / 4, 40 * 30 * 3 + 20 * 15 * 2 + 10 * 8 * 2 + 5 * 4 * 3);
  t.same(Array.from(priors.slice(0, 4)), Array.from(Float32Array.of(4 / 320, 4 / 240, 10 / 320, 10 / 240)));
  t.same(Array.from(priors.slice(8, 12)), Array.from(Float32Array.of(4 / 320, 4 / 240, 24 / 320, 24 / 240)), 'third size of the first cell');
  t.same(Array.from(priors.slice(12, 14)), Array.from(Float32Array.of(12 / 320, 4 / 240)), 'next column, 8 px to the right');
});

t.test('decoding: zero regression gives the prior box; variances 0.1/0.2; hard NMS keeps the better of two overlapping boxes', async (t) => {
  const count = 4420;
  const scores = new Float32Array(count * 2);
  const boxes = new Float32Array(count * 4);
  const face = (prior: number, score: number, loc: number[]) => {
    scores[prior * 2 + 1] = score;
    boxes.set(loc, prior * 4);
  };
  face(2, 0.9, [0, 0, 0, 0]); // cell (0, 0), 24 px: centre (4, 4)
  face(5, 0.8, [0, 0, 0, 0]); // cell (0, 1), 24 px: centre (12, 4), IoU with the first 16/32 > 0.3: suppressed
  face(3 * 40 * 10 + 3 * 20, 0.95, [1, -1, Math.log(2) / 0.2, 0]); // row 10, column 20, 10 px: centre (164, 84)
  const found = decodeUltraFace({ scores: { dims: [1, count, 2], data: scores }, boxes: { dims: [1, count, 4], data: boxes } });
  t.equal(found.length, 2);
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-3;
  const [best, second] = found;
  // centre moved by 0.1·w in x and −0.1·h in y; width doubled by exp(0.2·ln2/0.2)
  t.ok(close(best!.x1, 164 + 1 - 10) && close(best!.x2, 164 + 1 + 10) && close(best!.y1, 84 - 1 - 5) && close(best!.y2, 84 - 1 + 5), JSON.stringify(best));
  t.ok(close(second!.x1, -8) && close(second!.y2, 16) && second!.score === Math.fround(0.9), JSON.stringify(second));
});
