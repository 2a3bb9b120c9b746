/**
 * Frame conversion on the wasm kernels (`assembly/convert.ts`), where the native addon is not: a
 * browser, or Node without a C++ compiler. It compares sixteen pixels per step where the
 * JavaScript version compares four.
 *
 * Each converter keeps a copy of its output map in wasm memory: the kernel converts the changed
 * pixels into it, and the range from the first changed pixel to the last is copied out in one
 * block. (Copying each run of changed pixels out separately cost as much as converting in
 * JavaScript: a moving car's frame changes in about 8,800 runs of 4 pixels.) A stream's next frame
 * finds its previous frame's bytes and their conversion in place; any other previous frame is
 * copied in, with the caller's output.
 *
 * The converters share one instance of the kernel module over its own memory: growing the layers'
 * memory for them would detach views that layers have handed on.
 */
import { WasmAllocator } from './allocator.js';
import { loadWasmRuntime } from './kernel-module.js';
import type { FrameConverter } from '../frame-to-tensor.js';

interface ConvertExports {
  convertFrame(data: number, previous: number, tables: number, channels: number, pixels: number, output: number, changed: number, span: number): number;
}

interface ConversionInstance {
  readonly kernels: ConvertExports;
  readonly memory: WebAssembly.Memory;
  readonly allocator: WasmAllocator;
}

/** Byte addresses of one converter's buffers, sized for frames of up to `bytes` bytes. */
interface Buffers {
  readonly bytes: number;
  readonly channels: number;
  readonly base: number;
  /** Two frames' bytes: the one converted last stays where it is and is the next frame's previous. */
  readonly frames: readonly [number, number];
  readonly tables: number;
  readonly output: number;
  readonly changed: number;
  readonly span: number;
}

class WasmFrameConverter implements FrameConverter {
  private buffers: Buffers | undefined;
  /** The frame converted last: its bytes are in `frames[lastSlot]`, and the wasm copy of the output holds its conversion. */
  private lastData: Uint8Array | undefined;
  private lastSlot = 0;

  constructor(private readonly instance: ConversionInstance) {}

  convert(data: Uint8Array, previous: Uint8Array | null, output: Float32Array, tables: Float32Array, channels: number, changed: Int32Array | null): number {
    const at = this.reserve(data.length, channels);
    const heap = this.instance.memory.buffer;
    const mirror = new Float32Array(heap, at.output, data.length);
    // A stream's next frame: its previous frame's bytes, and their conversion, are here already.
    const continues = previous !== null && previous === this.lastData;
    const previousSlot = continues ? this.lastSlot : 0;
    const dataSlot = 1 - previousSlot;
    if (previous && !continues) {
      new Uint8Array(heap, at.frames[previousSlot], data.length).set(previous);
      // Unchanged pixels are copied out too (between the first changed one and the last), so the
      // copy must hold `previous`'s conversion: `output` does (the contract).
      mirror.set(output.subarray(0, data.length));
    }
    new Uint8Array(heap, at.frames[dataSlot], data.length).set(data);
    new Float32Array(heap, at.tables, 256 * channels).set(tables.subarray(0, 256 * channels));
    const count = this.instance.kernels.convertFrame(at.frames[dataSlot], previous ? at.frames[previousSlot] : 0, at.tables, channels, data.length / channels, at.output, at.changed, at.span);
    if (count > 0) {
      const span = new Int32Array(heap, at.span, 2);
      output.set(mirror.subarray(span[0]! * channels, (span[1]! + 1) * channels), span[0]! * channels);
    }
    if (changed) changed.set(new Int32Array(heap, at.changed, count));
    this.lastData = data;
    this.lastSlot = dataSlot;
    return count;
  }

  dispose(): void {
    if (this.buffers) this.instance.allocator.free(this.buffers.base);
    this.buffers = undefined;
    this.lastData = undefined;
  }

  /** Buffers for frames of up to `bytes` bytes (so up to `bytes` pixels) of up to `channels` channels, kept while frames fit. */
  private reserve(bytes: number, channels: number): Buffers {
    const kept = this.buffers;
    if (kept && kept.bytes >= bytes && kept.channels >= channels) return kept;
    this.dispose();
    const sizes = [bytes, bytes, 1024 * channels, 4 * bytes, 4 * bytes, 8].map((size) => Math.ceil(size / 64) * 64);
    const base = this.instance.allocator.allocate(sizes.reduce((a, b) => a + b, 0));
    const [first, second, tables, output, changed, span] = sizes.map((_, i) => base + sizes.slice(0, i).reduce((a, b) => a + b, 0)) as [number, number, number, number, number, number];
    this.buffers = { bytes, channels, base, frames: [first, second], tables, output, changed, span };
    return this.buffers;
  }
}

const instances = new WeakMap<WebAssembly.Module, ConversionInstance>();

/**
 * A converter on the kernel build this runtime has (one-thread builds first: copies into shared
 * memory are slower), or undefined where none is loaded (a page before `loadWasmKernels`).
 */
export function createWasmFrameConverter(): FrameConverter | undefined {
  for (const shared of [false, true]) {
    const loaded = loadWasmRuntime('auto', shared);
    if (!('runtime' in loaded)) continue;
    const { module } = loaded.runtime;
    let instance = instances.get(module);
    if (!instance) {
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, ...(shared ? { shared: true } : {}) });
      const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as ConvertExports;
      // Address 0 means "no previous frame" to the kernel: the first page stays unused.
      instances.set(module, (instance = { kernels, memory, allocator: new WasmAllocator(memory, 65536) }));
    }
    return new WasmFrameConverter(instance);
  }
  return undefined;
}
