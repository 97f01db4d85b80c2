/**
 * The `.tfmodel` file: a versioned container for a graph, its parameters, metadata and (optionally)
 * the training state needed to resume.
 *
 *   offset 0   8 bytes   magic "TFMODEL\0"
 *          8   u32 LE    format version (1)
 *         12   u32 LE    header length H in bytes
 *         16   H bytes   header, UTF-8 JSON (see `ModelHeader`)
 *              0-3 bytes zero padding to a multiple of 4
 *              ...       blob: float32 little-endian values; the header addresses them by
 *                        { offset, length } in floats. `blob.sha256` covers the blob.
 */
import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { GraphError } from '../graph/errors.js';
import { inferShapes } from '../graph/shapes.js';
import { type Graph, type Node, shapeSize, type Tensor } from '../graph/types.js';
import type { TrainingState } from '../train/trainer.js';
import { ModelFileError } from './errors.js';
import { decodeTraining, encodeTraining } from './training-state.js';
import { arr, checkNode, fail, type Json, obj, shape, span, str } from './validate.js';

export const MAGIC = 'TFMODEL\0';
export const FORMAT_VERSION = 1;

export interface ModelFile {
  readonly graph: Graph;
  /** Free-form, JSON-serialisable: architecture, data set, class names, metrics... */
  readonly metadata: Record<string, unknown>;
  readonly training: TrainingState | null;
}

/** Appends float arrays to the blob and returns their spans. */
export class BlobWriter {
  private readonly parts: Float32Array[] = [];
  private floats = 0;

  add(data: Float32Array): { offset: number; length: number } {
    const s = { offset: this.floats, length: data.length };
    this.parts.push(data);
    this.floats += data.length;
    return s;
  }

  bytes(): Uint8Array {
    const out = new Float32Array(this.floats);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return new Uint8Array(out.buffer);
  }
}

export function encodeModel(m: ModelFile): Uint8Array {
  const blob = new BlobWriter();
  const params: Record<string, Json> = {};
  for (const [key, t] of Object.entries(m.graph.params))
    params[key] = { shape: [...t.shape], ...blob.add(t.data) };
  const graph = { ...m.graph, params };
  const training = m.training ? encodeTraining(m.training, blob) : null;
  const blobBytes = blob.bytes();
  const sha256 = createHash('sha256').update(blobBytes).digest('hex');
  const header = JSON.stringify({
    graph,
    metadata: m.metadata,
    training,
    blob: { bytes: blobBytes.length, sha256 },
  });
  const headerBytes = new TextEncoder().encode(header);
  const pad = (4 - ((16 + headerBytes.length) % 4)) % 4;
  const out = new Uint8Array(16 + headerBytes.length + pad + blobBytes.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, 16);
  out.set(blobBytes, 16 + headerBytes.length + pad);
  return out;
}

export function decodeModel(bytes: Uint8Array): ModelFile {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new ModelFileError('BAD_MAGIC', 'not a TinyFleet model file (bad magic)');
  }
  if (bytes.length < 16)
    throw new ModelFileError('TRUNCATED', `file is ${bytes.length} bytes, too short for a header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) {
    throw new ModelFileError(
      'UNSUPPORTED_VERSION',
      `format version ${version}; this build reads ${FORMAT_VERSION}`,
    );
  }
  const hlen = dv.getUint32(12, true);
  if (16 + hlen > bytes.length)
    throw new ModelFileError('TRUNCATED', 'header extends past the end of the file');
  let header: Json;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + hlen)),
    ) as Json;
  } catch (cause) {
    throw new ModelFileError('BAD_HEADER', 'header is not valid UTF-8 JSON', undefined, { cause });
  }
  const h = obj(header, 'header');
  const blobInfo = obj(h.blob, 'blob');
  const start = 16 + hlen + ((4 - ((16 + hlen) % 4)) % 4);
  const blobLen = typeof blobInfo.bytes === 'number' ? blobInfo.bytes : fail('blob.bytes must be a number');
  if (start + blobLen > bytes.length || blobLen % 4 !== 0) {
    throw new ModelFileError(
      'TRUNCATED',
      `parameter data is truncated (${bytes.length - start} of ${blobLen} bytes)`,
    );
  }
  // copy: `bytes` may be a pooled Node Buffer, and Float32Array needs an aligned, owned buffer
  const blobBytes = new Uint8Array(blobLen);
  blobBytes.set(bytes.subarray(start, start + blobLen));
  if (createHash('sha256').update(blobBytes).digest('hex') !== str(blobInfo.sha256, 'blob.sha256')) {
    throw new ModelFileError('CHECKSUM', 'parameter data does not match its checksum (corrupt file)');
  }
  const blob = new Float32Array(blobBytes.buffer, 0, blobLen / 4);
  const graph = decodeGraph(obj(h.graph, 'graph'), blob);
  const metadata = obj(h.metadata ?? {}, 'metadata') as Record<string, unknown>;
  const training =
    h.training === null || h.training === undefined
      ? null
      : decodeTraining(obj(h.training, 'training'), blob);
  return { graph, metadata, training };
}

function decodeGraph(g: { [k: string]: Json }, blob: Float32Array): Graph {
  const params: Record<string, Tensor> = {};
  for (const [key, v] of Object.entries(obj(g.params, 'graph.params'))) {
    const s = span(v, `graph.params.${key}`, blob.length);
    const sh = shape(obj(v, key).shape, `graph.params.${key}.shape`);
    if (shapeSize(sh) !== s.length) fail(`graph.params.${key}: shape and length disagree`);
    params[key] = { shape: sh, data: blob.slice(s.offset, s.offset + s.length) };
  }
  const nodes = arr(g.nodes, 'graph.nodes');
  nodes.forEach(checkNode);
  const graph: Graph = {
    name: str(g.name, 'graph.name'),
    inputs: arr(g.inputs, 'graph.inputs').map((v, i) => {
      const o = obj(v, `graph.inputs[${i}]`);
      return {
        name: str(o.name, `graph.inputs[${i}].name`),
        shape: shape(o.shape, `graph.inputs[${i}].shape`),
      };
    }),
    outputs: arr(g.outputs, 'graph.outputs').map((v, i) => str(v, `graph.outputs[${i}]`)),
    nodes: nodes as unknown as Node[],
    params,
  };
  try {
    inferShapes(graph);
  } catch (cause) {
    if (cause instanceof GraphError)
      throw new ModelFileError('BAD_GRAPH', `invalid graph: ${cause.message}`, undefined, { cause });
    throw cause;
  }
  return graph;
}

export async function readModel(path: string): Promise<ModelFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new ModelFileError('TRUNCATED', `cannot read model file: ${(cause as Error).message}`, path, {
      cause,
    });
  }
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (e instanceof ModelFileError) throw new ModelFileError(e.code, e.message, path, { cause: e.cause });
    throw e;
  }
}

/** Writes atomically (temp file + rename), so an interrupted checkpoint never leaves a torn file. */
export async function writeModel(path: string, m: ModelFile): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, encodeModel(m));
  await rename(tmp, path);
}

/** Synchronous `writeModel`, for checkpoints taken inside the (synchronous) training loop. */
export function writeModelSync(path: string, m: ModelFile): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, encodeModel(m));
  renameSync(tmp, path);
}
