/** Inference: INFER_REQUEST, INFER_RESULT (PROTOCOL.md §4.5). */
import { P } from '../../constants/index.js';
import { defineMessage, type MessageOf, shape, shapeSize, UINT53_MAX, zeroPoint } from '../define.js';
import { badField, bool, bytes, f32, opt, outOfRange, req, U32_MAX, uint } from '../fields.js';

const scale = () => f32({ min: 0, aboveMin: true });

// PROTOCOL.md §4.5.1
export const INFER_REQUEST = defineMessage({
  type: 'INFER_REQUEST',
  section: '4.5.1',
  direction: 'gateway → device',
  reply: 'INFER_RESULT, or ERROR',
  re: 'optional',
  hop: 'device',
  fields: {
    shape: req('shape', shape(), 'Shape of x, NHWC, first dimension 1.'),
    x: req('x', bytes(1, P.MESSAGE_MAX_TENSOR_BYTES), 'Input, uint8, row-major.'),
    inputScale: req('xs', scale(), "Input scale; MUST equal the model input's."),
    inputZeroPoint: req('xz', zeroPoint(), "Input zero point; MUST equal the model input's."),
    full: opt('full', bool(), 'Return the whole output vector; default true.'),
  },
  check(m, at) {
    if (m.shape[0] !== 1) throw outOfRange(`${at}.shape`, 'first dimension must be 1');
    if (m.x.length !== shapeSize(m.shape))
      throw outOfRange(`${at}.x`, `${m.x.length} bytes, shape says ${shapeSize(m.shape)}`);
  },
});
export type InferRequest = MessageOf<typeof INFER_REQUEST>;

// PROTOCOL.md §4.5.2
export const INFER_RESULT = defineMessage({
  type: 'INFER_RESULT',
  section: '4.5.2',
  direction: 'device → gateway (relayed to the cloud)',
  reply: 'none',
  re: 'required',
  hop: 'device',
  fields: {
    classIndex: req('cls', uint(0, 0xffff), 'Index of the largest output element (first one on ties).'),
    cycles: req('cyc', uint(0, UINT53_MAX), 'CPU cycles of the forward pass.', 'cycles'),
    durationUs: opt('us', uint(0, U32_MAX), 'Wall time of the forward pass.', 'µs'),
    y: opt(
      'y',
      bytes(1, P.MESSAGE_MAX_TENSOR_BYTES),
      'Output tensor, uint8, row-major; absent if full = false.',
    ),
    outputScale: opt('ys', scale(), 'Output scale; present iff y.'),
    outputZeroPoint: opt('yz', zeroPoint(), 'Output zero point; present iff y.'),
  },
  check(m, at) {
    const n = [m.y, m.outputScale, m.outputZeroPoint].filter((v) => v !== undefined).length;
    if (n !== 0 && n !== 3) throw badField(at, 'y, ys and yz go together');
    if (m.y !== undefined && m.classIndex >= m.y.length) throw outOfRange(`${at}.cls`, 'beyond the output');
  },
});
export type InferResult = MessageOf<typeof INFER_RESULT>;

export const INFERENCE_MESSAGES = [INFER_REQUEST, INFER_RESULT] as const;
