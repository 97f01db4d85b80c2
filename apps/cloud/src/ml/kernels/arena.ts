/**
 * All tensors of a compiled model live in one WebAssembly memory, so the wasm kernels address them
 * by byte offset and JS code uses Float32Array views over the same bytes.
 */
import { type WasmMemory, wasm } from './wasm/api.js';
import { GEMM_SCRATCH_BYTES } from './wasm/gemm.js';

const PAGE = 65536;

/** A float32 buffer inside an arena. `f32` is a view, refreshed if the memory grew. */
export class Buf {
  private view: Float32Array | null = null;
  private gen = -1;

  constructor(
    private readonly arena: Arena,
    /** Byte offset in the memory. */
    readonly ptr: number,
    /** Length in floats. */
    readonly length: number,
  ) {}

  get f32(): Float32Array {
    if (this.gen !== this.arena.generation || !this.view) {
      this.view = new Float32Array(this.arena.memory.buffer, this.ptr, this.length);
      this.gen = this.arena.generation;
    }
    return this.view;
  }

  /** A sub-buffer of `length` floats starting `offset` floats in. */
  slice(offset: number, length: number): Buf {
    return new Buf(this.arena, this.ptr + offset * 4, length);
  }
}

export class Arena {
  readonly memory: WasmMemory;
  private top = GEMM_SCRATCH_BYTES;
  generation = 0;

  constructor(initialBytes = 1 << 20) {
    this.memory = new wasm.Memory({ initial: Math.ceil(initialBytes / PAGE) });
  }

  get bytesUsed(): number {
    return this.top;
  }

  /** Allocate `length` floats, 64-byte aligned, zero-filled. */
  alloc(length: number): Buf {
    const ptr = this.top;
    this.top = (ptr + length * 4 + 63) & ~63;
    const need = this.top - this.memory.buffer.byteLength;
    if (need > 0) {
      this.memory.grow(Math.ceil(need / PAGE));
      this.generation++;
    }
    return new Buf(this, ptr, length);
  }
}
