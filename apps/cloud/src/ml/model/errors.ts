export type ModelFileErrorCode =
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'TRUNCATED'
  | 'BAD_HEADER'
  | 'CHECKSUM'
  | 'BAD_GRAPH';

/** A `.tfmodel` file that cannot be read; `path` names the file when known. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    readonly code: ModelFileErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(path ? `${message} (${path})` : message, options);
  }
}
