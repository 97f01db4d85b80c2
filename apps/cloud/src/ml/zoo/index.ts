/** The model zoo: every architecture by name, parameterised by width and depth. */
import type { Graph } from '../graph/types.js';
import { dsCnn } from './ds-cnn.js';
import { mobileNetV2 } from './mobilenet-v2.js';
import type { ZooOptions } from './options.js';
import { refCnn } from './ref-cnn.js';
import { resNet } from './resnet.js';

export { dsCnn } from './ds-cnn.js';
export { mobileNetV2 } from './mobilenet-v2.js';
export type { ZooOptions } from './options.js';
export { type RefCnnOptions, refCnn } from './ref-cnn.js';
export { resNet } from './resnet.js';

export const ARCHITECTURES = {
  'ref-cnn': (o: ZooOptions): Graph =>
    refCnn({
      inputShape: o.inputShape,
      classes: o.classes,
      seed: o.seed,
      ...(o.width ? { width: o.width } : {}),
    }),
  'ds-cnn': dsCnn,
  'mobilenet-v2': mobileNetV2,
  resnet: resNet,
} as const;

export type ArchName = keyof typeof ARCHITECTURES;

export function isArch(name: string): name is ArchName {
  return Object.hasOwn(ARCHITECTURES, name);
}

/** Build a zoo model; throws a RangeError naming the known architectures for an unknown name. */
export function buildModel(arch: string, o: ZooOptions): Graph {
  if (!isArch(arch))
    throw new RangeError(`unknown architecture "${arch}"; known: ${Object.keys(ARCHITECTURES).join(', ')}`);
  return ARCHITECTURES[arch](o);
}
