/**
 * A byte bound on MQTT packets, ahead of the parser. aedes (through mqtt-packet) buffers a whole packet
 * before any hook sees it, whatever its announced length (up to 256 MiB); this wrapper reads each fixed
 * header's Remaining Length (MQTT-2.2.3) as bytes stream past and destroys the connection as soon as a
 * packet announces more than the limit, so one client cannot make the broker buffer a huge packet.
 */
import { Duplex } from 'node:stream';

export class PacketTooLargeError extends Error {
  override readonly name = 'PacketTooLargeError';
  readonly code = 'TOO_LARGE';
}

/** Incremental scanner of MQTT fixed headers; `scan` returns an error once a packet is too large. */
export class PacketScanner {
  #state: 'type' | 'length' | 'body' = 'type';
  #length = 0;
  #mult = 1;
  #lengthBytes = 0;
  #left = 0;
  readonly #max: number;

  constructor(maxRemainingLength: number) {
    this.#max = maxRemainingLength;
  }

  scan(chunk: Uint8Array): Error | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === 'body') {
        const n = Math.min(this.#left, chunk.length - i);
        this.#left -= n;
        i += n;
        if (this.#left === 0) this.#state = 'type';
        continue;
      }
      const b = chunk[i++] ?? 0;
      if (this.#state === 'type') {
        this.#state = 'length';
        this.#length = 0;
        this.#mult = 1;
        this.#lengthBytes = 0;
        continue;
      }
      // MQTT-2.2.3: Remaining Length, 7 bits per byte, least significant first, at most 4 bytes.
      this.#length += (b & 0x7f) * this.#mult;
      this.#mult *= 128;
      this.#lengthBytes++;
      if (this.#length > this.#max) {
        return new PacketTooLargeError(`MQTT packet of more than ${this.#max} bytes refused`);
      }
      if (b & 0x80) {
        if (this.#lengthBytes === 4) return new PacketTooLargeError('malformed Remaining Length');
        continue;
      }
      this.#left = this.#length;
      this.#state = this.#left === 0 ? 'type' : 'body';
    }
    return undefined;
  }
}

/** Wrap a connection so packets larger than `maxRemainingLength` destroy it before they are buffered. */
export function guardPacketSize(inner: Duplex, maxRemainingLength: number): Duplex {
  const scanner = new PacketScanner(maxRemainingLength);
  const outer = new Duplex({
    read() {
      inner.resume();
    },
    write(chunk: Buffer, encoding, cb) {
      inner.write(chunk, encoding, cb);
    },
    // Chunks buffered while `outer` was corked go out together (one writev on a socket).
    writev(chunks, cb) {
      inner.cork();
      const last = chunks.length - 1;
      chunks.forEach(({ chunk, encoding }, i) => {
        inner.write(chunk, encoding as BufferEncoding, i === last ? cb : undefined);
      });
      inner.uncork();
    },
    final(cb) {
      inner.end(cb);
    },
    destroy(err, cb) {
      inner.destroy(); // the error, if any, is reported once, by `outer`
      cb(err);
    },
  });
  inner.on('data', (chunk: Buffer) => {
    const err = scanner.scan(chunk);
    if (err) {
      outer.destroy(err);
      return;
    }
    if (!outer.push(chunk)) inner.pause();
  });
  inner.on('end', () => outer.push(null));
  inner.on('error', (e) => outer.destroy(e));
  inner.on('close', () => outer.destroy());
  return outer;
}
