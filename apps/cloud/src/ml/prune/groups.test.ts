import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import { mobileNetV2 } from '../zoo/mobilenet-v2.js';
import { refCnn } from '../zoo/ref-cnn.js';
import { analyzeGroups, prunableGroups } from './groups.js';
import { convBnDepthwise, residual } from './test-models.js';

describe('channel groups', () => {
  it('ref-cnn: conv1 and conv2 are prunable, the classifier is frozen, flatten repeats 25 positions', () => {
    const a = analyzeGroups(refCnn());
    const p = prunableGroups(a);
    expect(p.map((g) => [g.producers, g.consumers, g.channels, g.activation])).toEqual([
      [['conv1'], ['conv2'], 16, 'relu1'],
      [['conv2'], ['fc'], 32, 'relu2'],
    ]);
    expect(a.spaceOf.get('flatten')).toEqual({ group: p[1]!.id, repeat: 25 });
    const fc = a.groups.find((g) => g.producers.includes('fc'))!;
    expect(fc.frozen).toContain('graph output');
  });

  it('depthwise and BatchNorm are members of their producer group', () => {
    const g = prunableGroups(analyzeGroups(convBnDepthwise())).find((x) => x.producers.includes('expand'))!;
    expect(g.members).toEqual(['bn1', 'dw', 'bn2']);
    expect(g.consumers).toEqual(['pw']);
    expect(g.activation).toBe('r1');
  });

  it('both producers of a residual add form one group (one also consumes it)', () => {
    const g = prunableGroups(analyzeGroups(residual())).find((x) => x.producers.includes('a'))!;
    expect(g.producers).toEqual(['a', 'b']);
    expect(g.consumers).toEqual(['b', 'c']);
  });

  it('mobilenet-v2: each residual stage is one group', () => {
    const a = analyzeGroups(mobileNetV2({ inputShape: [28, 28, 1], classes: 10 }));
    const multi = prunableGroups(a).filter((g) => g.producers.length > 1);
    expect(multi.map((g) => g.producers)).toEqual([
      ['b2_project', 'b3_project'],
      ['b4_project', 'b5_project'],
      ['b6_project', 'b7_project'],
    ]);
  });

  it('freezes channels that a concat rearranges', () => {
    const b = new GraphBuilder('cat', [4, 4, 1], 1);
    const x = b.conv2d(b.input, 2, 1, {}, 'x');
    const y = b.conv2d(b.input, 3, 1, {}, 'y');
    const z = b.conv2d(b.concat([x, y], 'cat'), 4, 1, {}, 'z');
    const a = analyzeGroups(b.build([b.dense(b.globalAvgPool(z), 2, 'fc')]));
    expect(prunableGroups(a).map((g) => g.producers)).toEqual([['z']]);
  });
});
