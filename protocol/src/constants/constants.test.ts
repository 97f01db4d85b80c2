import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEADER_PATH, headerIsStale, renderHeader } from '../../scripts/gen-c-header.js';
import { CONST_GROUPS, ErrorCode, errorCodeName, MsgType, msgTypeName } from './index.js';

describe('constants table (PROTOCOL.md §1.4)', () => {
  it('has unique names and values within every group', () => {
    for (const g of CONST_GROUPS) {
      const names = g.entries.map((e) => e.name);
      expect(new Set(names).size, g.title).toBe(names.length);
      if (g.prefix === 'TF') continue; // parameters are not an enumeration
      const values = g.entries.map((e) => e.value);
      expect(new Set(values).size, g.title).toBe(values.length);
    }
  });

  it('looks up both ways', () => {
    expect(MsgType.GRAD_UPDATE).toBe(0x25);
    expect(msgTypeName.get(0x25)).toBe('GRAD_UPDATE');
    expect(errorCodeName.get(ErrorCode.CRC_MISMATCH)).toBe('CRC_MISMATCH');
  });

  it('the committed C header is generated from the table (npm run gen:header)', () => {
    expect(headerIsStale(), `${HEADER_PATH} is stale: run npm run gen:header`).toBe(false);
  });

  it('the C header compiles as C99 with warnings as errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-hdr-'));
    const src = join(dir, 'h.c');
    writeFileSync(
      src,
      '#include "tinyfleet/tf_protocol.h"\nint main(void) { return (int)TF_MSG_HELLO - 1; }\n',
    );
    const inc = join(HEADER_PATH, '..', '..');
    execFileSync('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-I', inc, src, '-o', join(dir, 'h')]);
    expect(execFileSync(join(dir, 'h')).length).toBe(0);
    expect(renderHeader()).toContain('#define TF_MSG_GRAD_UPDATE 37u');
  });
});
