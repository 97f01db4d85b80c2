/** The messages ingestion reads: the catalog of `@tinyfleet/protocol/messages` (PROTOCOL.md §4). */
import type { Message } from '@tinyfleet/protocol/messages';

export type UplinkMessage = Message;

/** Decodes one CBOR message; throws ProtocolError (PROTOCOL.md §1.5) for anything malformed. */
export type DecodeFn = (bytes: Uint8Array) => Message;
