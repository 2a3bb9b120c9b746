// Layer names: a node's own name when the file gives one, else `OpType #k`, the k-th node of that
// type in the file (exporters often leave names empty; `Conv(185)` named a layer by a tensor).
import t from 'tap';
import { loadOnnx } from '../../src/model/index.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { prng } from '../helpers/random.js';

const random = prng(9);
const conv = (name: string, input: string, output: string) => ({ op: 'Conv', name, inputs: [input, `${output}.w`], outputs: [output] });

t.test('unnamed nodes are OpType #k by file order; given names are kept and never reused', async (t) => {
  const model = await loadOnnx(
    buildModel({
      input: { name: 'x', dims: [1, 2, 6, 6] },
      outputs: ['d'],
      nodes: [
        conv('', 'x', 'a'),
        { op: 'Relu', name: '', inputs: ['a'], outputs: ['ar'] },
        conv('Conv #3', 'ar', 'b'), // a given name that an unnamed node would otherwise get
        conv('', 'b', 'c'),
        conv('head', 'c', 'd'),
      ],
      initializers: Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [`${n}.w`, weights(random, [2, 2, 1, 1])])),
    }),
  );
  t.same(model.layers, ['Conv #1', 'Conv #3', "Conv #3'", 'head']);
});
