/** Shared pagination query fields and the page envelope, for the route table. */
import { int, type JsonSchema, optional, string } from './validate/index.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** `limit` (1..500, default 50) and `cursor` (opaque, from the previous page's `nextCursor`). */
export const pageFields = {
  limit: optional(
    int({ min: 1, max: MAX_LIMIT, coerce: true, description: `page size, default ${DEFAULT_LIMIT}` }),
  ),
  cursor: optional(string({ min: 1, max: 512, description: "the previous page's nextCursor" })),
};

export function pageOf(q: { limit?: number | undefined; cursor?: string | undefined }): {
  limit: number;
  cursor: string | undefined;
} {
  return { limit: q.limit ?? DEFAULT_LIMIT, cursor: q.cursor };
}

/** JSON Schema of a page of `item`. */
export function pageSchema(item: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } },
  };
}
