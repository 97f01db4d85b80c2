/** Schemas shared by several route files. */
import { string } from '../validate/index.js';

/** Ids of records we issue, and device ids from HELLO (PROTOCOL.md §2.6: `[A-Za-z0-9_-]{1,64}`). */
export const ID = /^[A-Za-z0-9_-]{1,64}$/;
export const id = (description?: string) => string({ pattern: ID, ...(description && { description }) });
export const name = () => string({ min: 1, max: 200 });
