import { describe, expect, it } from 'vitest';
import { ARCHITECTURES, buildModel } from '../zoo/index.js';
import { floatToArtifactModel } from './from-float.js';
import { planGraphOf } from './graph.js';
import { overlaps } from './liveness.js';
import { planInference } from './memory.js';
import { PROFILES } from './profiles.js';
import { planModel } from './report.js';
import { parseTrainable } from './trainable.js';
import { planTraining } from './training.js';

describe('every zoo model on every profile (issue 4 item 5)', () => {
  for (const arch of Object.keys(ARCHITECTURES)) {
    const shapes =
      arch === 'ref-cnn'
        ? [[28, 28, 1]]
        : [
            [32, 32, 3],
            [49, 10],
          ];
    for (const inputShape of shapes) {
      it(`${arch} [${inputShape.join(', ')}]: a plan for every target; training tensors never overlap`, () => {
        const g = planGraphOf(floatToArtifactModel(buildModel(arch, { inputShape, classes: 10 })));
        for (const trainable of ['none', 'last2', 'all']) {
          const set = parseTrainable(trainable, g);
          for (const p of PROFILES) {
            const r = planModel(g, p, { trainable: set });
            expect(r.fits).toBe(r.limits.length === 0);
            expect(r.macs).toBeGreaterThan(0);
            expect(r.latency_ms).toBeGreaterThan(0);
            expect(r.train_ram_bytes > r.ram_bytes).toBe(set.length > 0);
          }
        }
        const inf = planInference(g);
        const t = planTraining(g, inf, parseTrainable('all', g));
        const all = [...inf.placed, ...t.extras];
        for (const a of all) {
          expect(a.offset % 16).toBe(0);
          for (const b of all) {
            if (a === b || !overlaps(a, b)) continue;
            expect(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset).toBe(true);
          }
        }
      });
    }
  }
});
