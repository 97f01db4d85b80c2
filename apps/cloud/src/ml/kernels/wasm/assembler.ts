/**
 * A tiny WebAssembly binary assembler: just enough of the spec (core 1.0 + fixed-width SIMD +
 * relaxed SIMD madd) to emit the engine's kernels at run time. No toolchain needed, so the kernels
 * are rebuilt from this source on every start and CI reproduces them exactly.
 *
 * Reference: WebAssembly Core Specification 2.0, §5 (binary format).
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** Core opcodes used by the kernels (§5.4). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  i32Store: 0x36,
  f32Store: 0x38,
  i32Const: 0x41,
  f32Const: 0x43,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32GtS: 0x4a,
  i32LeS: 0x4c,
  i32GeS: 0x4e,
  i32Or: 0x72,
  f32Eq: 0x5b,
  f32Lt: 0x5d,
  f32Gt: 0x5e,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Mul: 0x94,
  f32Min: 0x96,
  f32Max: 0x97,
} as const;

/** SIMD opcodes (prefix 0xfd, §5.4.8). */
export const Simd = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  f32x4Splat: 0x13,
  f32x4ExtractLane: 0x1f,
  f32x4Eq: 0x41,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Or: 0x50,
  v128Bitselect: 0x52,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Min: 0xe8,
  f32x4Max: 0xe9,
  f32x4Pmin: 0xea,
  f32x4Pmax: 0xeb,
  f32x4RelaxedMadd: 0x105,
} as const;

export function uleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

export function sleb(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(out: number[], s: string): void {
  const b = new TextEncoder().encode(s);
  uleb(out, b.length);
  out.push(...b);
}

/** The body of one function: declare locals, then emit instructions. */
export class FuncBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(
    readonly name: string,
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {}

  /** Index of the n-th parameter. */
  param(n: number): number {
    return n;
  }

  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  /** Declare one local of `type` per name. */
  named<K extends string>(type: ValType, names: readonly K[]): Record<K, number> {
    const out = {} as Record<K, number>;
    for (const n of names) out[n] = this.local(type);
    return out;
  }

  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  get(l: number): this {
    this.code.push(Op.localGet);
    uleb(this.code, l);
    return this;
  }

  set(l: number): this {
    this.code.push(Op.localSet);
    uleb(this.code, l);
    return this;
  }

  tee(l: number): this {
    this.code.push(Op.localTee);
    uleb(this.code, l);
    return this;
  }

  i32(v: number): this {
    this.code.push(Op.i32Const);
    sleb(this.code, v);
    return this;
  }

  f32(v: number): this {
    this.code.push(Op.f32Const);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.code.push(...b);
    return this;
  }

  /** Memory access with an immediate byte offset; `align` is log2 of the alignment hint. */
  mem(opcode: number, offset: number, align = 2): this {
    this.code.push(opcode, align);
    uleb(this.code, offset);
    return this;
  }

  simd(opcode: number): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    return this;
  }

  /** A SIMD memory access; alignment hint 16 bytes for v128, 4 bytes for a splat. */
  simdMem(opcode: number, offset: number): this {
    this.simd(opcode);
    this.code.push(opcode === Simd.load32Splat ? 2 : 4);
    uleb(this.code, offset);
    return this;
  }

  /** local += delta (i32). */
  inc(l: number, delta: number | (() => void)): this {
    this.get(l);
    if (typeof delta === 'number') this.i32(delta);
    else delta();
    return this.op(Op.i32Add).set(l);
  }

  /** `loop { body; br_if cond }` — a do-while; `cond` leaves an i32 on the stack. */
  doWhile(body: () => void, cond: () => void): this {
    this.op(Op.loop, 0x40);
    body();
    cond();
    this.op(Op.brIf, 0, Op.end);
    return this;
  }

  /** `block { body }`, inside which `br_if 1` of a nested loop exits. */
  block(body: () => void): this {
    this.op(Op.block, 0x40);
    body();
    return this.op(Op.end);
  }

  ifElse(thenBody: () => void, elseBody?: () => void): this {
    this.op(Op.if, 0x40);
    thenBody();
    if (elseBody) {
      this.op(Op.else);
      elseBody();
    }
    return this.op(Op.end);
  }

  /** `for (i = init; i < limit; i += step) body` with signed compares. */
  forLoop(i: number, init: () => void, limit: () => void, body: () => void, step = 1): this {
    init();
    this.set(i);
    this.op(Op.block, 0x40, Op.loop, 0x40);
    this.get(i);
    limit();
    this.op(Op.i32GeS, Op.brIf, 1);
    body();
    this.inc(i, step);
    return this.op(Op.br, 0, Op.end, Op.end);
  }

  /** Push max(a, b) of two i32 values pushed by the callbacks (evaluated twice). */
  i32Max(a: () => void, b: () => void): this {
    a();
    b();
    a();
    b();
    return this.op(Op.i32GtS, Op.select);
  }

  i32Min(a: () => void, b: () => void): this {
    a();
    b();
    a();
    b();
    return this.op(Op.i32LtS, Op.select);
  }

  encodeBody(): number[] {
    const out: number[] = [];
    // locals, grouped in runs of the same type
    const runs: Array<[number, ValType]> = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(out, runs.length);
    for (const [n, t] of runs) {
      uleb(out, n);
      out.push(t);
    }
    out.push(...this.code, Op.end);
    const sized: number[] = [];
    uleb(sized, out.length);
    return sized.concat(out);
  }
}

export interface MemoryImport {
  readonly initialPages: number;
  readonly maximumPages?: number;
  readonly shared?: boolean;
}

/** Assemble a module that imports `env.memory` and exports every function by its name. */
export function assemble(funcs: readonly FuncBuilder[], memory: MemoryImport): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, body: number[]): void => {
    out.push(id);
    uleb(out, body.length);
    out.push(...body);
  };
  // type section: one type per function (duplicates are legal)
  const types: number[] = [];
  uleb(types, funcs.length);
  for (const f of funcs) {
    types.push(0x60);
    uleb(types, f.params.length);
    types.push(...f.params);
    uleb(types, f.results.length);
    types.push(...f.results);
  }
  section(1, types);
  const imports: number[] = [];
  uleb(imports, 1);
  name(imports, 'env');
  name(imports, 'memory');
  imports.push(0x02);
  if (memory.shared) {
    imports.push(0x03);
    uleb(imports, memory.initialPages);
    uleb(imports, memory.maximumPages ?? 65536);
  } else if (memory.maximumPages !== undefined) {
    imports.push(0x01);
    uleb(imports, memory.initialPages);
    uleb(imports, memory.maximumPages);
  } else {
    imports.push(0x00);
    uleb(imports, memory.initialPages);
  }
  section(2, imports);
  const fnsec: number[] = [];
  uleb(fnsec, funcs.length);
  funcs.forEach((_, i) => {
    uleb(fnsec, i);
  });
  section(3, fnsec);
  const exp: number[] = [];
  uleb(exp, funcs.length);
  funcs.forEach((f, i) => {
    name(exp, f.name);
    exp.push(0x00);
    uleb(exp, i);
  });
  section(7, exp);
  const code: number[] = [];
  uleb(code, funcs.length);
  for (const f of funcs) code.push(...f.encodeBody());
  section(10, code);
  return new Uint8Array(out);
}
