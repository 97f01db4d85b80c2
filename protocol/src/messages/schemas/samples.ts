/** Samples and flow control: SAMPLE_BATCH, SAMPLE_CREDIT (PROTOCOL.md §4.3). */
import { P } from '../../constants/index.js';
import { defineMessage, type MessageOf, sessionId, shape, shapeSize, zeroPoint } from '../define.js';
import { bytes, f32, outOfRange, req, U32_MAX, uint } from '../fields.js';

// PROTOCOL.md §4.3.1
export const SAMPLE_BATCH = defineMessage({
  type: 'SAMPLE_BATCH',
  section: '4.3.1',
  direction: 'gateway → device',
  reply: 'none (SAMPLE_CREDIT as samples are consumed), or ERROR',
  re: 'optional',
  hop: 'device',
  fields: {
    sessionId: req('sid', sessionId(), 'Training session the samples belong to.'),
    firstSeq: req('seq', uint(0, U32_MAX), 'Sequence number of the first sample; sample i has seq + i.'),
    shape: req('shape', shape(), 'Shape of x, NHWC: [n, ...one sample]; n = samples in the batch, 1..64.'),
    x: req('x', bytes(1, P.MESSAGE_MAX_TENSOR_BYTES), 'Inputs, uint8, row-major in shape order.'),
    inputScale: req('xs', f32({ min: 0, aboveMin: true }), "Input scale; MUST equal the model input's."),
    inputZeroPoint: req('xz', zeroPoint(), "Input zero point; MUST equal the model input's."),
    labels: req('y', bytes(1, P.MESSAGE_MAX_BATCH_SAMPLES), 'Class label of each sample, uint8, n bytes.'),
  },
  check(m, at) {
    const n = m.shape[0]!;
    if (n > P.MESSAGE_MAX_BATCH_SAMPLES) throw outOfRange(`${at}.shape`, `${n} samples, at most 64`);
    if (m.x.length !== shapeSize(m.shape))
      throw outOfRange(`${at}.x`, `${m.x.length} bytes, shape says ${shapeSize(m.shape)}`);
    if (m.labels.length !== n) throw outOfRange(`${at}.y`, `${m.labels.length} labels for ${n} samples`);
    if (m.firstSeq + n > 2 ** 32) throw outOfRange(`${at}.seq`, 'sequence numbers do not wrap');
  },
});
export type SampleBatch = MessageOf<typeof SAMPLE_BATCH>;

// PROTOCOL.md §4.3.2
export const SAMPLE_CREDIT = defineMessage({
  type: 'SAMPLE_CREDIT',
  section: '4.3.2',
  direction: 'device → gateway',
  reply: 'none',
  re: 'optional',
  hop: 'device',
  fields: {
    sessionId: req('sid', sessionId(), 'Training session.'),
    nextSeq: req('next', uint(0, U32_MAX), 'Every sample below this sequence number has been received.'),
    credit: req('cr', uint(0, 0xffff), 'The gateway may send samples with seq < next + cr.', 'samples'),
  },
});
export type SampleCredit = MessageOf<typeof SAMPLE_CREDIT>;

export const SAMPLE_MESSAGES = [SAMPLE_BATCH, SAMPLE_CREDIT] as const;
