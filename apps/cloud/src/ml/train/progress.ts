/**
 * Training progress on stderr: an updating bar with ETA, loss and accuracy on a TTY; plain lines
 * (a few per epoch) otherwise. The caller passes no sink at all for `--json`.
 */
import type { EpochRecord, ProgressSink } from './trainer.js';

export interface ProgressStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** Clock in ms (injectable for tests). */
  readonly now?: () => number;
  /** Plain mode: lines per epoch besides the summary (default 4). */
  readonly linesPerEpoch?: number;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

export class ProgressDisplay implements ProgressSink {
  private start = 0;
  private lastDraw = -1;
  private epoch = 0;
  private epochs = 0;
  private readonly now: () => number;
  private readonly lines: number;

  constructor(
    private readonly out: ProgressStream,
    o: ProgressOptions = {},
  ) {
    this.now = o.now ?? (() => performance.now());
    this.lines = o.linesPerEpoch ?? 4;
  }

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  epochStart(epoch: number, epochs: number): void {
    this.epoch = epoch;
    this.epochs = epochs;
    this.start = this.now();
    this.lastDraw = -1;
  }

  batch(step: number, steps: number, loss: number, accuracy: number): void {
    const t = this.now();
    const elapsed = (t - this.start) / 1000;
    const eta = step > 0 ? (elapsed / step) * (steps - step) : 0;
    const head = `epoch ${this.epoch}/${this.epochs}`;
    const tail = `${step}/${steps} ETA ${formatDuration(eta)} loss ${loss.toFixed(4)} acc ${pct(accuracy)}`;
    if (this.tty) {
      if (step !== steps && this.lastDraw >= 0 && t - this.lastDraw < 100) return;
      this.lastDraw = t;
      const cols = this.out.columns ?? 80;
      const width = Math.max(10, Math.min(40, cols - head.length - tail.length - 5));
      const filled = Math.round((width * step) / steps);
      this.out.write(`\r${head} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${tail}\x1b[K`);
      return;
    }
    const every = Math.max(1, Math.ceil(steps / this.lines));
    if (step % every === 0 && step !== steps) this.out.write(`${head} ${tail}\n`);
  }

  epochEnd(r: EpochRecord): void {
    const val =
      r.valLoss === undefined ? '' : ` val_loss ${r.valLoss.toFixed(4)} val_acc ${pct(r.valAccuracy ?? 0)}`;
    const line = `epoch ${r.epoch}/${this.epochs} done in ${formatDuration(r.seconds)}: loss ${r.trainLoss.toFixed(4)} acc ${pct(r.trainAccuracy)}${val} lr ${r.lr.toPrecision(3)}`;
    this.out.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}
