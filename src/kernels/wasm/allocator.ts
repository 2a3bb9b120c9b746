/**
 * First-fit free-list allocator over a WebAssembly memory that the JS side owns (the AssemblyScript
 * kernels have no heap of their own). Freed blocks coalesce with their neighbours, so a
 * create/dispose cycle of the same sizes reuses the same bytes and the memory stops growing.
 * Growth is the only event that detaches views on the memory; `generation` counts it.
 */

/** Every block starts on a cache line: SIMD loads never straddle one needlessly. */
const ALIGNMENT = 64;
const PAGE_BYTES = 65536;

export class WasmAllocator {
  /** Free blocks sorted by address: parallel arrays of start and size in bytes. */
  private readonly freeStarts: number[] = [];
  private readonly freeSizes: number[] = [];
  private readonly liveSizes = new Map<number, number>();
  private end: number;

  /** Manages the bytes from `heapStart` to the end of `memory`, growing it on demand. */
  constructor(
    readonly memory: WebAssembly.Memory,
    heapStart: number,
  ) {
    const start = align(heapStart);
    this.end = memory.buffer.byteLength;
    if (this.end > start) this.release(start, this.end - start);
  }

  /** Bytes currently handed out. */
  get liveBytes(): number {
    let total = 0;
    for (const size of this.liveSizes.values()) total += size;
    return total;
  }

  /** Address of a new block of at least `bytes` bytes (contents unspecified). */
  allocate(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    let index = this.freeSizes.findIndex((free) => free >= size);
    if (index < 0) {
      this.grow(size);
      index = this.freeSizes.findIndex((free) => free >= size);
    }
    const start = this.freeStarts[index]!;
    const rest = this.freeSizes[index]! - size;
    if (rest > 0) {
      this.freeStarts[index] = start + size;
      this.freeSizes[index] = rest;
    } else {
      this.freeStarts.splice(index, 1);
      this.freeSizes.splice(index, 1);
    }
    this.liveSizes.set(start, size);
    return start;
  }

  free(address: number): void {
    const size = this.liveSizes.get(address);
    if (size === undefined) throw new Error(`wasm allocator: ${address} is not an allocated block`);
    this.liveSizes.delete(address);
    this.release(address, size);
  }

  /** Inserts a free block in address order and merges it with adjacent free blocks. */
  private release(start: number, size: number): void {
    let index = 0;
    while (index < this.freeStarts.length && this.freeStarts[index]! < start) index++;
    this.freeStarts.splice(index, 0, start);
    this.freeSizes.splice(index, 0, size);
    const next = index + 1;
    if (next < this.freeStarts.length && start + this.freeSizes[index]! === this.freeStarts[next]) {
      this.freeSizes[index]! += this.freeSizes[next]!;
      this.freeStarts.splice(next, 1);
      this.freeSizes.splice(next, 1);
    }
    const previous = index - 1;
    if (previous >= 0 && this.freeStarts[previous]! + this.freeSizes[previous]! === start) {
      this.freeSizes[previous]! += this.freeSizes[index]!;
      this.freeStarts.splice(index, 1);
      this.freeSizes.splice(index, 1);
    }
  }

  /** Grows the memory so that a block of `size` fits at its end. */
  private grow(size: number): void {
    const last = this.freeStarts.length - 1;
    const tailFree = last >= 0 && this.freeStarts[last]! + this.freeSizes[last]! === this.end ? this.freeSizes[last]! : 0;
    const pages = Math.ceil((size - tailFree) / PAGE_BYTES);
    const oldEnd = this.end;
    this.memory.grow(pages);
    this.end = this.memory.buffer.byteLength;
    this.release(oldEnd, this.end - oldEnd);
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / ALIGNMENT) * ALIGNMENT;
}
