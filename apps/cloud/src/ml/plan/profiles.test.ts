import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROFILES, profileByName, slotBytes } from './profiles.js';

describe('MCU profiles', () => {
  it('the README table lists every profile with its clock', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const p of PROFILES) expect(readme).toContain(`| \`${p.name}\` |`);
    for (const p of PROFILES) expect(readme).toContain(`${p.clockHz / 1e6} MHz`);
  });

  it('covers M0+, M4, M7, M33, M55 and names the known ones when a target is unknown', () => {
    for (const n of ['cortex-m0plus', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55']) profileByName(n);
    expect(() => profileByName('cortex-a53')).toThrow(/known: cortex-m0plus/);
    expect(slotBytes(profileByName('cortex-m4'))).toBe(448 * 1024);
  });
});
