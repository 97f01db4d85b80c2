/**
 * Renders the field tables of PROTOCOL.md §4 from the declarations. The spec embeds these blocks
 * verbatim and a test fails when one differs, so the spec and the codec cannot disagree.
 */
import type { ConstEntry } from '../constants/index.js';
import {
  DEVICE_STATES,
  EPS_MODES,
  GRAD_KINDS,
  LOG_LEVELS,
  OTA_STATES,
  ROUNDING_MODES,
  TRAIN_STATES,
  UPDATE_RULES,
} from '../constants/table.js';
import { CATALOG } from './catalog.js';
import { maxEncodedSize } from './codec.js';
import type { MessageDef } from './define.js';
import type { Fields } from './fields.js';

const cell = (s: string) => s.replaceAll('|', '\\|');

/** A markdown table of fields. */
export function renderFields(fields: Fields): string {
  const rows = Object.values(fields).map((f) => {
    const range = [f.unit, f.kind.range].filter(Boolean).join('; ') || '—';
    return `| \`${f.key}\` | ${cell(f.kind.cbor)} | ${cell(range)} | ${f.required ? 'yes' : 'no'} | ${cell(f.doc)} |`;
  });
  return [
    '| key | CBOR type | unit; range | req. | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The block of one message: summary line, field table, and the tables of nested maps. */
export function renderMessage(def: MessageDef): string {
  const t = `0x${def.code.toString(16).padStart(2, '0')}`;
  const summary =
    `\`t\` = ${t} (\`MSG.${def.type}\`). Direction: ${def.direction}. Reply: ${def.reply}. ` +
    `\`re\`: ${def.re}. Largest encoding: ${maxEncodedSize(def)} bytes.`;
  const parts = [summary, '', renderFields(def.fields)];
  for (const f of Object.values(def.fields)) {
    const info = f.kind.info.k === 'list' ? f.kind.info.of.info : f.kind.info;
    if (info.k === 'record')
      parts.push('', `Each \`${f.key}\` entry is a map:`, '', renderFields(info.fields));
  }
  return parts.join('\n');
}

/** Enumerations a message carries by value, with their constants-table group (§1.4). */
export const ENUMS: Readonly<Record<string, readonly ConstEntry[]>> = {
  DEVICE_STATES,
  LOG_LEVELS,
  TRAIN_STATES,
  EPS_MODES,
  GRAD_KINDS,
  UPDATE_RULES,
  ROUNDING_MODES,
  OTA_STATES,
};

/** A markdown table of one enumeration. */
export function renderEnum(entries: readonly ConstEntry[]): string {
  const rows = entries.map((e) => `| ${e.value} | \`${e.name}\` | ${cell(e.doc)} |`);
  return ['| value | name | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

const BLOCK = /<!-- BEGIN (fields|enum) ([A-Z_]+) -->\n[\s\S]*?<!-- END \1 \2 -->/g;

/**
 * Rewrites every generated block of a spec part: between `<!-- BEGIN fields HELLO -->` and
 * `<!-- END fields HELLO -->` goes renderMessage(HELLO), between `<!-- BEGIN enum OTA_STATES -->` and
 * its END the enumeration. Unknown names are left alone (the test reports them).
 */
export function updateSpecBlocks(md: string): string {
  const blocks = new Map(CATALOG.map((d) => [d.type as string, renderMessage(d as MessageDef)]));
  return md.replace(BLOCK, (whole, what: string, name: string) => {
    const body = what === 'fields' ? blocks.get(name) : ENUMS[name] && renderEnum(ENUMS[name]);
    return body === undefined
      ? whole
      : `<!-- BEGIN ${what} ${name} -->\n${body}\n<!-- END ${what} ${name} -->`;
  });
}
