/**
 * A tiny validator that also describes itself as JSON Schema, so one definition both checks a request at
 * the boundary and documents it in `/openapi.json`. Parsing returns a typed value or throws
 * ValidationError listing every problem with its path.
 */

export type JsonSchema = { [key: string]: unknown };

export interface Issue {
  path: string;
  message: string;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly issues: Issue[];

  constructor(issues: Issue[]) {
    super(issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

/** Parse context: collects issues instead of stopping at the first. */
export class Ctx {
  readonly issues: Issue[] = [];
  fail(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }
}

export interface Schema<T> {
  readonly json: JsonSchema;
  /** True when an absent value is acceptable (object fields, query params). */
  readonly optional: boolean;
  /** Returns the value, or undefined after recording an issue in ctx. */
  check(v: unknown, path: string, ctx: Ctx): T | undefined;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Parse or throw ValidationError. */
export function parse<T>(schema: Schema<T>, v: unknown, path = ''): T {
  const ctx = new Ctx();
  const out = schema.check(v, path, ctx);
  if (ctx.issues.length > 0) throw new ValidationError(ctx.issues);
  return out as T;
}

function make<T>(json: JsonSchema, check: Schema<T>['check']): Schema<T> {
  return { json, optional: false, check };
}

const describeType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export function string(
  o: { min?: number; max?: number; pattern?: RegExp; description?: string } = {},
): Schema<string> {
  const json: JsonSchema = { type: 'string' };
  if (o.min !== undefined) json.minLength = o.min;
  if (o.max !== undefined) json.maxLength = o.max;
  if (o.pattern) json.pattern = o.pattern.source;
  if (o.description) json.description = o.description;
  return make(json, (v, path, ctx) => {
    if (typeof v !== 'string') return ctx.fail(path, `expected a string, got ${describeType(v)}`);
    if (o.min !== undefined && v.length < o.min)
      return ctx.fail(path, `must have at least ${o.min} characters`);
    if (o.max !== undefined && v.length > o.max)
      return ctx.fail(path, `must have at most ${o.max} characters`);
    if (o.pattern && !o.pattern.test(v)) return ctx.fail(path, `must match ${o.pattern.source}`);
    return v;
  });
}

/** An integer; with `coerce`, also a decimal string (query and path parameters). */
export function int(
  o: { min?: number; max?: number; coerce?: boolean; description?: string } = {},
): Schema<number> {
  const json: JsonSchema = { type: 'integer' };
  if (o.min !== undefined) json.minimum = o.min;
  if (o.max !== undefined) json.maximum = o.max;
  if (o.description) json.description = o.description;
  return make(json, (v, path, ctx) => {
    const n = o.coerce && typeof v === 'string' && /^-?[0-9]{1,16}$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) return ctx.fail(path, 'expected an integer');
    if (o.min !== undefined && n < o.min) return ctx.fail(path, `must be >= ${o.min}`);
    if (o.max !== undefined && n > o.max) return ctx.fail(path, `must be <= ${o.max}`);
    return n;
  });
}

export function boolean(): Schema<boolean> {
  return make({ type: 'boolean' }, (v, path, ctx) =>
    typeof v === 'boolean' ? v : ctx.fail(path, `expected a boolean, got ${describeType(v)}`),
  );
}

export function enumOf<const T extends readonly string[]>(
  values: T,
  description?: string,
): Schema<T[number]> {
  const json: JsonSchema = { type: 'string', enum: [...values] };
  if (description) json.description = description;
  return make(json, (v, path, ctx) =>
    typeof v === 'string' && values.includes(v)
      ? (v as T[number])
      : ctx.fail(path, `must be one of ${values.join(', ')}`),
  );
}

export function array<T>(item: Schema<T>, o: { min?: number; max?: number } = {}): Schema<T[]> {
  const json: JsonSchema = { type: 'array', items: item.json };
  if (o.min !== undefined) json.minItems = o.min;
  if (o.max !== undefined) json.maxItems = o.max;
  return make(json, (v, path, ctx) => {
    if (!Array.isArray(v)) return ctx.fail(path, `expected an array, got ${describeType(v)}`);
    if (o.min !== undefined && v.length < o.min) return ctx.fail(path, `must have at least ${o.min} items`);
    if (o.max !== undefined && v.length > o.max) return ctx.fail(path, `must have at most ${o.max} items`);
    const before = ctx.issues.length;
    const out = v.map((x, i) => item.check(x, `${path}[${i}]`, ctx));
    return ctx.issues.length === before ? (out as T[]) : undefined;
  });
}

export function optional<T>(s: Schema<T>): Schema<T | undefined> {
  return {
    json: s.json,
    optional: true,
    check: (v, path, ctx) => (v === undefined ? undefined : s.check(v, path, ctx)),
  };
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return make({ anyOf: [s.json, { type: 'null' }] }, (v, path, ctx) =>
    v === null ? null : s.check(v, path, ctx),
  );
}

/** Any JSON object (free-form configuration); at most `maxBytes` once serialized. */
export function jsonObject<T = { [key: string]: unknown }>(
  o: { maxBytes?: number; description?: string } = {},
): Schema<T> {
  const json: JsonSchema = { type: 'object' };
  if (o.description) json.description = o.description;
  return make(json, (v, path, ctx) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return ctx.fail(path, 'expected an object');
    if (o.maxBytes !== undefined && JSON.stringify(v).length > o.maxBytes) {
      return ctx.fail(path, `must be at most ${o.maxBytes} bytes as JSON`);
    }
    return v as T;
  });
}

type Shape = { [key: string]: Schema<unknown> };
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K]['optional'] extends true ? K : never }[keyof S];
export type ObjectOf<S extends Shape> = {
  [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]>;
} & { [K in OptionalKeys<S>]?: Infer<S[K]> };

/** An object with known fields; unknown fields are refused (a typo should not pass silently). */
export function object<S extends Shape>(shape: S, o: { description?: string } = {}): Schema<ObjectOf<S>> {
  const required = Object.keys(shape).filter((k) => !shape[k]?.optional);
  const json: JsonSchema = {
    type: 'object',
    properties: Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, s.json])),
    additionalProperties: false,
  };
  if (required.length > 0) json.required = required;
  if (o.description) json.description = o.description;
  return make(json, (v, path, ctx) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      return ctx.fail(path, `expected an object, got ${describeType(v)}`);
    }
    const rec = v as Record<string, unknown>;
    const before = ctx.issues.length;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(rec)) {
      if (!Object.hasOwn(shape, k)) ctx.fail(path ? `${path}.${k}` : k, 'unknown field');
    }
    for (const [k, s] of Object.entries(shape)) {
      const p = path ? `${path}.${k}` : k;
      if (rec[k] === undefined && !s.optional) {
        ctx.fail(p, 'is required');
        continue;
      }
      const val = s.check(rec[k], p, ctx);
      if (val !== undefined) out[k] = val;
    }
    return ctx.issues.length === before ? (out as ObjectOf<S>) : undefined;
  });
}

/** Documentation-only schema (responses): never used to parse. */
export function doc<T>(json: JsonSchema): Schema<T> {
  return make(json, (v) => v as T);
}
