/** Options shared by every zoo architecture; `width` and `depth` are what NAS scales. */
export interface ZooOptions {
  /** Input shape without batch: `[H, W, C]` images or `[T, C]` series. */
  readonly inputShape: readonly number[];
  readonly classes: number;
  /** Channel count or multiplier (per architecture; see each builder). */
  readonly width?: number;
  /** Number of blocks (per architecture). */
  readonly depth?: number;
  readonly dropout?: number;
  readonly seed?: number;
}
