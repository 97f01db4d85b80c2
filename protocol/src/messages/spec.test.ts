import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOG } from './catalog.js';
import { ENUMS, updateSpecBlocks } from './spec-tables.js';

const SPEC = join(fileURLToPath(import.meta.url), '..', '..', '..', 'spec', 'PROTOCOL.md');
const md = readFileSync(SPEC, 'utf8');

describe('PROTOCOL.md §4 agrees with the declarations', () => {
  it('has a generated field table for every message type and a table for every enumeration', () => {
    for (const d of CATALOG) expect(md, d.type).toContain(`<!-- BEGIN fields ${d.type} -->`);
    for (const name of Object.keys(ENUMS)) expect(md, name).toContain(`<!-- BEGIN enum ${name} -->`);
  });

  it('every generated block is up to date (rewrite with updateSpecBlocks)', () => {
    const fresh = updateSpecBlocks(md);
    if (fresh !== md) {
      const a = md.split('\n');
      const b = fresh.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      expect(a[line], `PROTOCOL.md line ${line + 1} differs from the declarations`).toBe(b[line]);
    }
  });

  it('places every message under the heading of its section', () => {
    for (const d of CATALOG) {
      const heading = md.indexOf(`\n#### ${d.section} ${d.type}\n`);
      expect(heading, `#### ${d.section} ${d.type}`).toBeGreaterThan(0);
      const next = md.indexOf('\n#### ', heading + 1);
      expect(md.indexOf(`<!-- BEGIN fields ${d.type} -->`)).toBeGreaterThan(heading);
      if (next > 0) expect(md.indexOf(`<!-- BEGIN fields ${d.type} -->`), d.type).toBeLessThan(next);
    }
  });
});
