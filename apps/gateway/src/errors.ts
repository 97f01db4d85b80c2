/** Typed errors of the gateway: a stable code and, where there is one, the cause. */
export type GatewayErrorCode =
  | 'BAD_CONFIG'
  | 'LOCKED'
  | 'TRANSPORT'
  | 'QUARANTINED'
  | 'NOT_ATTACHED'
  | 'TIMEOUT'
  | 'DEVICE_ERROR'
  | 'BAD_ARGS'
  | 'SOURCE'
  | 'STOPPED';

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
