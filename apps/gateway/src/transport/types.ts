/**
 * The byte stream under a device link: a serial port in production, an in-memory pipe in tests
 * (STYLE.md §3). The link layer above it is a pure state machine (PROTOCOL.md §3).
 */
export interface ByteTransport {
  /** Queues bytes for the line; resolves when the transport has taken them. */
  write(bytes: Uint8Array): Promise<void>;
  /** Bytes read from the line. One listener. */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** The line went away (unplug, peer closed, error). Called at most once; not after `close()`. */
  onClose(listener: (error?: Error) => void): void;
  close(): Promise<void>;
}

/** Opens the transport of a port path; throws GatewayError TRANSPORT when it cannot. */
export type TransportOpener = (path: string) => Promise<ByteTransport>;
