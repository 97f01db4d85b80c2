/** What a command may touch: injected so tests run commands in memory. */
export interface OutStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Whether a command shows progress on stderr: always without `--json`; with `--json` only when
 * `TINYFLEET_PROGRESS=lines` asks for it (cloud jobs do, to follow the run).
 */
export function showProgress(json: boolean, io: CliIo): boolean {
  return !json || io.env.TINYFLEET_PROGRESS === 'lines';
}
