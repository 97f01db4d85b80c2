/** Error code numbers <-> names (PROTOCOL.md §1.5). */
import { ErrorCode, type ErrorCodeName } from '@tinyfleet/protocol/constants';

const BY_VALUE = new Map<number, ErrorCodeName>(
  (Object.entries(ErrorCode) as [ErrorCodeName, number][]).map(([k, v]) => [v, k]),
);

/** The name of an error code; INTERNAL for a number the table does not have. */
export function codeName(code: number): ErrorCodeName {
  return BY_VALUE.get(code) ?? 'INTERNAL';
}
