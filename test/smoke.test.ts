import t from 'tap';
import type { Frame } from '../src/types.js';
t.test('types import', async (t) => {
  const f: Frame = { data: new Uint8Array(3), width: 1, height: 1, channels: 3, index: 0, timestamp: 0 };
  t.equal(f.data.length, 3);
});
