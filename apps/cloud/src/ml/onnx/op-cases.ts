/** Tiny one-op graphs covering every exportable op and variant (shared by the ONNX tests). */
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';

export type Case = [name: string, build: () => Graph];

const img = (h = 7, w = 6, c = 3): GraphBuilder => new GraphBuilder('t', [h, w, c], 1);
const series = (t = 11, c = 3): GraphBuilder => new GraphBuilder('t', [t, c], 1);

export const OP_CASES: Case[] = [
  [
    'conv2d same',
    () => {
      const b = img();
      return b.build([b.conv2d(b.input, 4, 3)]);
    },
  ],
  [
    'conv2d same stride 2 (asymmetric pads)',
    () => {
      const b = img(8, 7);
      return b.build([b.conv2d(b.input, 4, 3, { strides: 2 })]);
    },
  ],
  [
    'conv2d valid 5x3 no bias',
    () => {
      const b = img();
      return b.build([b.conv2d(b.input, 5, [5, 3], { padding: 'valid', bias: false })]);
    },
  ],
  [
    'conv2d dilation 2',
    () => {
      const b = img(9, 9);
      return b.build([b.conv2d(b.input, 4, 3, { dilation: 2 })]);
    },
  ],
  [
    'depthwise same stride 2',
    () => {
      const b = img(8, 8, 4);
      return b.build([b.depthwise(b.input, 3, { strides: 2 })]);
    },
  ],
  [
    'depthwise valid dilation 2',
    () => {
      const b = img(9, 9, 4);
      return b.build([b.depthwise(b.input, 3, { padding: 'valid', dilation: 2 })]);
    },
  ],
  [
    'conv1d same stride 2',
    () => {
      const b = series();
      return b.build([b.conv1d(b.input, 5, 3, { strides: 2 })]);
    },
  ],
  [
    'conv1d valid dilation 2',
    () => {
      const b = series();
      return b.build([b.conv1d(b.input, 5, 3, { padding: 'valid', dilation: 2 })]);
    },
  ],
  [
    'dense on a vector',
    () => {
      const b = new GraphBuilder('t', [12], 1);
      return b.build([b.dense(b.input, 5)]);
    },
  ],
  [
    'flatten -> dense (weights permuted)',
    () => {
      const b = img();
      return b.build([b.dense(b.flatten(b.conv2d(b.input, 4, 3)), 5)]);
    },
  ],
  [
    'flatten as output (transpose)',
    () => {
      const b = img();
      return b.build([b.flatten(b.conv2d(b.input, 4, 3))]);
    },
  ],
  [
    'batchNorm 2-D',
    () => {
      const b = img();
      return b.build([b.batchNorm(b.conv2d(b.input, 4, 3))]);
    },
  ],
  [
    'batchNorm on a vector',
    () => {
      const b = new GraphBuilder('t', [12], 1);
      return b.build([b.batchNorm(b.dense(b.input, 6))]);
    },
  ],
  [
    'batchNorm 1-D',
    () => {
      const b = series();
      return b.build([b.batchNorm(b.input)]);
    },
  ],
  [
    'relu',
    () => {
      const b = img();
      return b.build([b.relu(b.input)]);
    },
  ],
  [
    'relu6',
    () => {
      const b = img();
      return b.build([b.relu6(b.conv2d(b.input, 4, 3))]);
    },
  ],
  [
    'maxPool valid 2',
    () => {
      const b = img();
      return b.build([b.pool('maxPool', b.input, 2)]);
    },
  ],
  [
    'maxPool same 3 stride 2',
    () => {
      const b = img();
      return b.build([b.pool('maxPool', b.input, 3, { strides: 2, padding: 'same' })]);
    },
  ],
  [
    'avgPool same 3 stride 1 (count_include_pad 0)',
    () => {
      const b = img();
      return b.build([b.pool('avgPool', b.input, 3, { strides: 1, padding: 'same' })]);
    },
  ],
  [
    'avgPool valid 2',
    () => {
      const b = img();
      return b.build([b.pool('avgPool', b.input, 2)]);
    },
  ],
  [
    'maxPool 1-D same',
    () => {
      const b = series();
      return b.build([b.pool('maxPool', b.input, 3, { strides: 2, padding: 'same' })]);
    },
  ],
  [
    'avgPool 1-D same',
    () => {
      const b = series();
      return b.build([b.pool('avgPool', b.input, 3, { strides: 2, padding: 'same' })]);
    },
  ],
  [
    'globalAvgPool 2-D',
    () => {
      const b = img();
      return b.build([b.globalAvgPool(b.input)]);
    },
  ],
  [
    'globalAvgPool 1-D',
    () => {
      const b = series();
      return b.build([b.globalAvgPool(b.input)]);
    },
  ],
  [
    'add of three',
    () => {
      const b = img();
      const c = b.conv2d(b.input, 3, 1);
      return b.build([b.addN([b.input, c, b.relu(c)])]);
    },
  ],
  [
    'concat',
    () => {
      const b = img();
      return b.build([b.concat([b.input, b.conv2d(b.input, 4, 3)])]);
    },
  ],
  [
    'reshape series -> image',
    () => {
      const b = series();
      return b.build([b.conv2d(b.reshape(b.input, [11, 3, 1]), 2, 3)]);
    },
  ],
  [
    'reshape image -> image',
    () => {
      const b = img(6, 6, 2);
      return b.build([b.conv2d(b.reshape(b.conv2d(b.input, 4, 1), [12, 3, 4]), 2, 3)]);
    },
  ],
  [
    'dropout removed',
    () => {
      const b = new GraphBuilder('t', [12], 1);
      return b.build([b.dense(b.dropout(b.input, 0.5), 4)]);
    },
  ],
  [
    'softmax on logits',
    () => {
      const b = new GraphBuilder('t', [12], 1);
      return b.build([b.softmax(b.dense(b.input, 5))]);
    },
  ],
  [
    'softmax over channels',
    () => {
      const b = img();
      return b.build([b.softmax(b.conv2d(b.input, 4, 3))]);
    },
  ],
];
