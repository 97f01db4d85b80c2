/** 16-bit sequence-number arithmetic (PROTOCOL.md §3.5.1). */

/** `a + n` in the 16-bit sequence space. */
export function seqAdd(a: number, n: number): number {
  return (a + n) & 0xffff;
}

/** Signed distance `a - b` in the 16-bit sequence space, in [-32768, 32767] (serial-number arithmetic). */
export function seqDiff(a: number, b: number): number {
  return ((a - b + 0x18000) & 0xffff) - 0x8000;
}
