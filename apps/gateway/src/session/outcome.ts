/** The outcome of one command target, and its GW_COMMAND_RESULT (PROTOCOL.md §4.7.3). */
import { ErrorCode, type ErrorCodeName } from '@tinyfleet/protocol/constants';
import {
  type GwCommand,
  type GwCommandResult,
  randomMessageId,
  type Value,
} from '@tinyfleet/protocol/messages';

export type Outcome = { ok: true; result?: Value } | { ok: false; code: ErrorCodeName; text: string };

export function fail(code: ErrorCodeName, text: string): Outcome {
  return { ok: false, code, text };
}

export function errorName(code: number): ErrorCodeName {
  const hit = Object.entries(ErrorCode).find(([, v]) => v === code);
  return (hit?.[0] as ErrorCodeName | undefined) ?? 'INTERNAL';
}

export function resultOf(cmd: GwCommand, dev: string | undefined, o: Outcome): GwCommandResult {
  const base = {
    type: 'GW_COMMAND_RESULT' as const,
    id: randomMessageId(),
    ts: Date.now(),
    re: cmd.id,
    commandId: cmd.commandId,
    ...(dev !== undefined && { deviceId: dev }),
  };
  if (o.ok) return { ...base, ok: true, ...(o.result !== undefined && { result: o.result }) };
  return { ...base, ok: false, error: ErrorCode[o.code], text: o.text.slice(0, 256) };
}
