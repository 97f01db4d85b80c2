/**
 * TEST DOUBLE of a device's OTA side (PROTOCOL.md §4.6.1), used by TestDeviceDouble; not the product's
 * device (the C firmware implements §4.6 for real). Two model slots and one transfer record that
 * survive `reboot()` like flash does, with the power-loss rules of §4.6.1.
 */
import { readArtifact, verifyArtifactSignature } from '@tinyfleet/protocol/artifact';
import { ErrorCode, type ErrorCodeName, P } from '@tinyfleet/protocol/constants';
import { isProtocolError } from '@tinyfleet/protocol/errors';
import type { ErrorMessage, Message, OtaStateName, OtaStatus } from '@tinyfleet/protocol/messages';
import { BlockBitmap, blockLength } from '@tinyfleet/protocol/mqtt';

export interface OtaDoubleOptions {
  readonly slotBytes?: number;
  /** Keys the device trusts (§5.9); absent: the device checks the digest only. */
  readonly keys?: ReadonlyMap<string, Uint8Array>;
  /** The smoke test fails (SMOKE_TEST_FAILED, §4.6.5). */
  readonly smokeFails?: boolean;
}

/** A reply without its device-form id (the double's sender adds it). */
export type OtaReply = Omit<OtaStatus, 'id'> | Omit<ErrorMessage, 'id'>;

interface TransferRecord {
  readonly sha: Uint8Array;
  readonly size: number;
  readonly nb: number;
  readonly mver: number;
  have: BlockBitmap;
  readonly data: Uint8Array;
  state: OtaStateName;
  err?: number;
}

const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

export class OtaDouble {
  /** Sha of the model in the active slot (undefined: the factory model). */
  activeSha: Uint8Array | undefined;
  activeSlot = 0;
  /** OTA_BLOCKs written to flash (duplicates not counted). */
  blocksWritten = 0;
  /** The slot contents of every artifact that reached the device, in order. */
  readonly received: Uint8Array[] = [];
  /** Set by reboot(): the device reports its OTA state after HELLO_ACK (§4.6.1). */
  reportAfterHello = false;
  #rec: TransferRecord | undefined;

  constructor(readonly o: OtaDoubleOptions = {}) {}

  get state(): OtaStateName {
    return this.#rec?.state ?? 'IDLE';
  }

  /** Power cycle (§4.6.1 Power loss): the record stays; a trial not confirmed reverts. */
  reboot(): void {
    const r = this.#rec;
    if (r?.state === 'TEST_BOOTING') {
      r.state = 'REVERTED';
      r.err = ErrorCode.TIMEOUT;
    } else if (r && (r.state === 'VERIFYING' || r.state === 'VERIFIED')) r.state = 'RECEIVING';
    this.reportAfterHello = r !== undefined;
  }

  status(re?: Uint8Array): Omit<OtaStatus, 'id'> {
    const r = this.#rec;
    if (!r) return { type: 'OTA_STATUS', ...(re && { re }), state: 'IDLE', activeSlot: this.activeSlot };
    return {
      type: 'OTA_STATUS',
      ...(re && { re }),
      state: r.state,
      sha256: r.sha,
      modelVersion: r.mver,
      ...(r.state === 'RECEIVING' && { blocks: r.nb, have: r.have.toBytes() }),
      activeSlot: this.activeSlot,
      pendingSlot: 1 - this.activeSlot,
      ...(r.err !== undefined && { error: r.err }),
    };
  }

  /** One OTA request; returns the replies (§4.6.1 table). */
  handle(m: Message): OtaReply[] {
    const r = this.#rec;
    const err = (code: ErrorCodeName, text: string): OtaReply[] => [
      { type: 'ERROR', re: m.id, code: ErrorCode[code], text },
    ];
    const ok = (): OtaReply[] => [this.status(m.id)];
    switch (m.type) {
      case 'OTA_OFFER': {
        if (r?.state === 'TEST_BOOTING') return err('BAD_STATE', 'a trial is running');
        if (r && eq(r.sha, m.sha256) && r.state !== 'FAILED' && r.state !== 'REVERTED') return ok();
        if (m.size > (this.o.slotBytes ?? 128 << 10)) return err('NO_SPACE', 'artifact larger than the slot');
        this.#rec = {
          sha: m.sha256,
          size: m.size,
          nb: m.blocks,
          mver: m.modelVersion,
          have: new BlockBitmap(m.blocks),
          data: new Uint8Array(m.size),
          state: 'RECEIVING',
        };
        return ok();
      }
      case 'OTA_BLOCK': {
        if (r?.state !== 'RECEIVING' || !eq(r.sha, m.sha256)) return []; // late block: dropped
        if (m.index >= r.nb || m.data.length !== blockLength(r.size, m.index, P.OTA_BLOCK_BYTES))
          return err('OUT_OF_RANGE', 'bad block');
        if (r.have.has(m.index)) return [];
        r.data.set(m.data, m.index * P.OTA_BLOCK_BYTES);
        r.have.set(m.index);
        this.blocksWritten++;
        return [];
      }
      case 'OTA_COMMIT':
        if (!r || !eq(r.sha, m.sha256)) return err('BAD_STATE', 'no such transfer');
        if (r.state === 'RECEIVING' && r.have.complete) this.#verify(r);
        return ok();
      case 'OTA_TEST_BOOT':
        if (!r || !eq(r.sha, m.sha256) || r.state === 'RECEIVING' || r.state === 'VERIFYING')
          return err('BAD_STATE', 'not verified');
        if (r.state === 'VERIFIED') {
          if (this.o.smokeFails) {
            r.state = 'REVERTED';
            r.err = ErrorCode.SMOKE_TEST_FAILED;
          } else r.state = 'TEST_BOOTING';
        }
        return ok();
      case 'OTA_CONFIRM':
        if (
          !r ||
          !eq(r.sha, m.sha256) ||
          !['TEST_BOOTING', 'CONFIRMED', 'REVERTED', 'FAILED'].includes(r.state)
        )
          return err('BAD_STATE', 'not on trial');
        if (r.state === 'TEST_BOOTING') {
          // The commit point: the pending slot becomes active.
          r.state = 'CONFIRMED';
          this.activeSlot = 1 - this.activeSlot;
          this.activeSha = r.sha;
        }
        return ok();
      case 'OTA_REVERT':
        if (!r || !eq(r.sha, m.sha256)) return err('BAD_STATE', 'no such transfer');
        if (r.state === 'CONFIRMED') this.activeSlot = 1 - this.activeSlot;
        r.state = 'REVERTED';
        return ok();
      default:
        return [];
    }
  }

  /** §4.6.1 OTA_COMMIT with all blocks: digest, signature, §5.10 checks. */
  #verify(r: TransferRecord): void {
    try {
      const parsed = readArtifact(r.data);
      if (!eq(parsed.sha256, r.sha)) throw Object.assign(new Error('digest'), { code: 'SHA_MISMATCH' });
      if (this.o.keys) verifyArtifactSignature(r.data, this.o.keys);
      r.state = 'VERIFIED';
      this.received.push(r.data.slice());
    } catch (e) {
      const code = isProtocolError(e) ? e.code : 'SHA_MISMATCH';
      r.state = 'FAILED';
      r.err = ErrorCode[code];
      r.have = new BlockBitmap(r.nb);
    }
  }
}
