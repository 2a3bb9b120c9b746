// softmax with a memo of the previous frame (unchanged rows reuse their output) against softmax
// computed afresh: bit-identical whatever changed, including one value at either end of a row.
import t from 'tap';
import { softmax, type Tensor } from '../../src/model/tensor.js';
import { prng, randomArray } from '../helpers/random.js';

const random = prng(23);
const cases: [string, number[], number, number][] = [
  ['rows of 2 (a detection head), axis 2, opset 11', [1, 50, 2], 2, 11],
  ['rows of 7, axis -1, opset 13', [3, 20, 7], -1, 13],
  ['strided rows: axis 1 of [2, 5, 6], opset 13', [2, 5, 6], 1, 13],
  ['coerced to 2-D from axis 1, opset 9', [2, 3, 4], 1, 9],
];

for (const [label, dims, axis, opset] of cases) {
  t.test(label, async (t) => {
    const size = dims.reduce((a, b) => a * b, 1);
    let input: Tensor = { dims, data: randomArray(random, size) };
    let memo = { input: input.data.slice(), output: softmax(input, axis, opset).data };
    for (let frame = 0; frame < 20; frame++) {
      const data = input.data.slice();
      // One value, first or last of the tensor sometimes (the ends of a row), else anywhere; or none.
      const changes = frame % 5 === 4 ? 0 : 1 + Math.floor(random() * 3);
      for (let c = 0; c < changes; c++) {
        const at = frame % 3 === 0 ? size - 1 : frame % 3 === 1 ? 0 : Math.floor(random() * size);
        data[at] = data[at]! + (random() - 0.5);
      }
      input = { dims, data };
      const fresh = softmax(input, axis, opset).data;
      const reused = softmax(input, axis, opset, memo).data;
      t.same(Array.from(reused), Array.from(fresh), `frame ${frame}: ${changes} value(s) changed`);
      memo = { input: data.slice(), output: reused };
    }
    const other: Tensor = { dims: [size + 1], data: randomArray(random, size + 1) };
    t.same(Array.from(softmax(other, -1, opset, memo).data), Array.from(softmax(other, -1, opset).data), 'a memo of another size is ignored');
  });
}
