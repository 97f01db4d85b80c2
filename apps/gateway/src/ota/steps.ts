/**
 * The gateway's side of the device state machine (PROTOCOL.md §4.6.1), as a pure function: given the
 * device's latest OTA_STATUS for this transfer, what to send next. Everything is re-derived from the
 * device's own report, which is what makes delivery resumable across gateway restarts and device resets.
 */
import type { ErrorCodeName } from '@tinyfleet/protocol/constants';
import type { OtaStatus } from '@tinyfleet/protocol/messages';
import { BlockBitmap } from '@tinyfleet/protocol/mqtt';
import { codeName } from './codes.js';

export type Step =
  | { readonly kind: 'offer' }
  | { readonly kind: 'blocks'; readonly missing: readonly number[] }
  | { readonly kind: 'commit' }
  | { readonly kind: 'await-verify' }
  | { readonly kind: 'test-boot' }
  | { readonly kind: 'confirm' }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly code: ErrorCodeName; readonly text: string };

export const sameBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined && Buffer.from(a).equals(Buffer.from(b));

/** The next step for a transfer of `sha` with `nb` blocks, from the device's status (undefined: none yet). */
export function nextStep(st: OtaStatus | undefined, sha: Uint8Array, nb: number, confirm: boolean): Step {
  // §4.6.1 Resume: no status, IDLE, or a status of another transfer: offer (again).
  if (!st || st.state === 'IDLE' || !sameBytes(st.sha256, sha)) return { kind: 'offer' };
  switch (st.state) {
    case 'RECEIVING': {
      if (st.have === undefined || st.blocks !== nb) return { kind: 'offer' };
      const have = BlockBitmap.fromBytes(st.have, nb);
      // §4.6.1: send only the blocks whose bit is 0, then OTA_COMMIT.
      return have.complete ? { kind: 'commit' } : { kind: 'blocks', missing: [...have.missing()] };
    }
    case 'VERIFYING':
      return { kind: 'await-verify' };
    case 'VERIFIED':
      return { kind: 'test-boot' };
    case 'TEST_BOOTING':
      // §4.7.2: OTA_CONFIRM when `confirm`; otherwise the device stays on trial and the job is done.
      return confirm ? { kind: 'confirm' } : { kind: 'done' };
    case 'CONFIRMED':
      return { kind: 'done' };
    case 'FAILED':
    case 'REVERTED': {
      const code = st.error === undefined ? 'INTERNAL' : codeName(st.error);
      return {
        kind: 'failed',
        code,
        text: `device reports ${st.state} (${st.error === undefined ? 'no reason' : code})`,
      };
    }
  }
}

/** A key that changes whenever the device made progress (a new state or more blocks). */
export function progressKey(st: OtaStatus | undefined): string {
  if (!st) return '-';
  const have = st.have ? BlockBitmap.fromBytes(st.have, st.blocks ?? 0).setCount : 0;
  return `${st.state}:${have}`;
}
