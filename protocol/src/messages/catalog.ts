/** The message catalog: every message type of MESSAGE_TYPES with its declaration (PROTOCOL.md §4). */
import type { MsgTypeName } from '../constants/index.js';
import type { MessageDef, MessageOf } from './define.js';
import { BLOCK_MESSAGES } from './schemas/blocks.js';
import { GATEWAY_MESSAGES } from './schemas/gateway.js';
import { INFERENCE_MESSAGES } from './schemas/inference.js';
import { OTA_MESSAGES } from './schemas/ota.js';
import { SAMPLE_MESSAGES } from './schemas/samples.js';
import { SESSION_MESSAGES } from './schemas/session.js';
import { TRAINING_MESSAGES } from './schemas/training.js';

/** All declarations, in the order of the constants table. */
export const CATALOG = [
  ...SESSION_MESSAGES,
  ...SAMPLE_MESSAGES,
  ...TRAINING_MESSAGES,
  ...INFERENCE_MESSAGES,
  ...OTA_MESSAGES,
  ...GATEWAY_MESSAGES,
  ...BLOCK_MESSAGES,
] as const;

type Def = (typeof CATALOG)[number];

/** Any message of the catalog, discriminated by `type`. */
export type Message = Def extends infer D ? (D extends MessageDef ? MessageOf<D> : never) : never;

/** The message of one type. */
export type MessageByType<N extends MsgTypeName> = Extract<Message, { readonly type: N }>;

export const DEF_BY_NAME: ReadonlyMap<MsgTypeName, MessageDef> = new Map(
  CATALOG.map((d) => [d.type, d as MessageDef]),
);
export const DEF_BY_CODE: ReadonlyMap<number, MessageDef> = new Map(
  CATALOG.map((d) => [d.code, d as MessageDef]),
);
