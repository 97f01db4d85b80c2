/**
 * Interop of the C link layer and device agent with the TypeScript reference (PROTOCOL.md §3, §4.2):
 * the TypeScript LinkEndpoint and decodeMessage talk to the firmware over a real pseudo-terminal.
 * One contract, run against two devices: the virtual MCU (`tinyfleet-vmcu`, host port) and the
 * Cortex-M4 image in QEMU (mps2-an386, `-serial pty`). Each run: link HELLO, the device's HELLO
 * message and its fields, HELLO_ACK then HEARTBEAT, a malformed message answered by ERROR, garbage
 * bytes on the line after which the same session still works; then INFER_REQUEST (§4.5) on a model
 * installed at boot (vmcu `--model`, the QEMU image with the artifact embedded): every output byte
 * must equal the TypeScript integer Interpreter (first mismatching index printed), and a wrong input
 * shape is answered with ERROR INCOMPATIBLE. Every wait is bounded; processes are always killed. Skips, naming the Debian package, when a tool is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interpreter, type QGraph, writeQuantizedArtifact } from '@tinyfleet/cloud/quant';
import { encodeMessage, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { firmwareModels, firstMismatch, randomInputs } from './nn-models.js';
import { cmakeBuild, FIRMWARE_DIR, missingTool, run } from './toolchain.js';
import { Gateway, sameBytes, WAIT_MS, waitFor } from './vmcu.js';

/** The model both devices get: every conv-path op with int8 per-channel weights, and softmax. */
const MODEL = firmwareModels().find((m) => m.label === 'all-ops (int8 per-channel)')!;
const MODEL_VERSION = 7;
const ARTIFACT = writeQuantizedArtifact(MODEL.q, { modelVersion: MODEL_VERSION });

function writeModel(dir: string): string {
  const file = join(dir, 'model.tfm');
  writeFileSync(file, ARTIFACT);
  return file;
}

interface Device {
  proc: ChildProcess;
  path: string;
  log: () => string;
}

const procs: ChildProcess[] = [];
const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const p of procs.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
  for (const c of cleanups.splice(0)) c();
});

/** The envelope {v: 1, t, id} alone, or with one small uint body key `extra` (e.g. sid). */
function envelopeOnly(t: number, id: Uint8Array, extra?: [key: string, value: number]): Uint8Array {
  const tail = extra ? [0x60 | extra[0].length, ...Buffer.from(extra[0]), extra[1]] : [];
  return new Uint8Array([
    extra ? 0xa4 : 0xa3,
    0x61,
    0x76,
    0x01,
    0x61,
    0x74,
    0x18,
    t,
    0x62,
    0x69,
    0x64,
    0x40 | id.length,
    ...id,
    ...tail,
  ]);
}

/** The contract every device (host vmcu, QEMU) must meet. */
async function helloContract(dev: Device, expectCaps: Record<string, unknown>, q: QGraph): Promise<void> {
  const gw = new Gateway(dev.path);
  cleanups.push(() => gw.close());
  const seen = () => `${gw.summary()}\ndevice log:\n${dev.log()}`;
  const nth = (type: string, n = 1) =>
    gw.messages.filter((m) => m.type === type)[n - 1] as (Message & Record<string, unknown>) | undefined;

  // PROTOCOL.md §3.6: link HELLO, then the device's §4.2.1 HELLO message
  await waitFor(() => gw.events.find((e) => e.type === 'connected'), WAIT_MS, 'link connected', seen);
  const hello = await waitFor(() => nth('HELLO'), WAIT_MS, 'the HELLO message', seen);
  const params = gw.ep.params;
  for (const [k, v] of Object.entries(expectCaps)) expect(hello[k], `HELLO.${k}`).toEqual(v);
  expect(hello.abiVersion).toBe(1);
  expect((hello.opKinds as unknown[]).length, 'every op kind of §5.4').toBe(13);
  // §4.2.1: msha = the artifact's §5.8 content digest (header field sha256), not the file's SHA-256
  expect(Buffer.from(hello.modelSha256 as Uint8Array)).toEqual(Buffer.from(ARTIFACT.subarray(80, 112)));
  expect(hello.modelVersion).toBe(MODEL_VERSION);
  expect(hello.maxMessageBytes).toBe(params?.maxMessageBytes);
  const id = hello.id as Uint8Array;
  expect(id.length).toBe(8);
  expect(new DataView(id.buffer, id.byteOffset, 8).getUint32(0, true)).toBe(hello.bootCounter);

  // §4.2.2: HELLO_ACK, then HEARTBEAT
  const ack = encodeMessage({
    type: 'HELLO_ACK',
    id: randomMessageId(),
    re: id,
    name: 'interop test',
    time: Date.now(),
    heartbeatMs: 1000,
  } as Message);
  gw.ep.send(ack);
  const hb = await waitFor(() => nth('HEARTBEAT'), WAIT_MS, 'a HEARTBEAT', seen);
  expect(hb.state).toBe('IDLE');
  expect(Number(hb.received)).toBeGreaterThanOrEqual(1);

  // §4.1.7: malformed (truncated CBOR) -> ERROR TRUNCATED without re
  gw.ep.send(new Uint8Array([0xa5, 0x61, 0x76]));
  const err1 = await waitFor(() => nth('ERROR'), WAIT_MS, 'an ERROR for truncated CBOR', seen);
  expect(err1.code).toBe(8);
  expect(err1.re).toBeUndefined();
  // unknown type -> ERROR UNKNOWN_TYPE; step 6 (the id) was not reached, so no re (§4.1.7)
  gw.ep.send(envelopeOnly(0x7f, randomMessageId()));
  const err2 = await waitFor(() => nth('ERROR', 2), WAIT_MS, 'an ERROR for an unknown type', seen);
  expect(err2.code).toBe(5);
  expect(err2.re).toBeUndefined();
  // a valid request the device must refuse: TRAIN_STOP of a session it does not know -> ERROR
  // BAD_STATE (§4.4.3), re = its id
  const reqId = randomMessageId();
  gw.ep.send(envelopeOnly(0x21, reqId, ['sid', 1]));
  const err2b = await waitFor(() => nth('ERROR', 3), WAIT_MS, 'an ERROR for TRAIN_STOP of no session', seen);
  expect(err2b.code).toBe(10);
  expect(err2b.re).toEqual(reqId);

  // §3.7: garbage on the line (with stray delimiters); the session survives and still answers
  const garbage = new Uint8Array(600);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 73 + 11) & 0xff;
  gw.raw(garbage);
  gw.ep.send(new Uint8Array([0xff]));
  const err3 = await waitFor(() => nth('ERROR', 4), WAIT_MS, 'an ERROR after garbage', seen);
  expect(err3.code).toBe(1);
  expect(gw.events.filter((e) => e.type === 'connected').length, seen()).toBe(1);
  expect(
    gw.events.some((e) => e.type === 'peer-reset' || e.type === 'link-down'),
    seen(),
  ).toBe(false);
  expect(gw.undecodable, seen()).toEqual([]);

  // §4.5: INFER_REQUEST -> INFER_RESULT, bit-exact with the TS integer interpreter
  const interp = new Interpreter(q);
  const inV = q.values.get(q.input)!;
  const shape = [1, ...inV.shape];
  for (const [i, x] of randomInputs(MODEL.inputSize, 3, 900).entries()) {
    const rid = randomMessageId();
    gw.ep.send(
      encodeMessage({
        type: 'INFER_REQUEST',
        id: rid,
        shape,
        x,
        inputScale: inV.q.scale,
        inputZeroPoint: inV.q.zeroPoint,
      } as Message),
    );
    const res = await waitFor(
      () =>
        gw.messages.find((m) => m.type === 'INFER_RESULT' && sameBytes((m as { re?: Uint8Array }).re, rid)),
      WAIT_MS,
      `INFER_RESULT ${i}`,
      seen,
    );
    const r = res as Message & { y: Uint8Array; classIndex: number; outputZeroPoint: number };
    const want = interp.run(x);
    const at = firstMismatch(r.y, want);
    expect(at, `input ${i}: first mismatching index ${at}: device ${r.y[at]} vs TS ${want[at]}`).toBe(-1);
    expect(r.classIndex).toBe(want.indexOf(Math.max(...want)));
    expect(r.outputZeroPoint).toBe(q.values.get(q.output)!.q.zeroPoint);
  }
  // a wrong shape: ERROR INCOMPATIBLE with re
  const bad = randomMessageId();
  gw.ep.send(
    encodeMessage({
      type: 'INFER_REQUEST',
      id: bad,
      shape: [1, MODEL.inputSize],
      x: new Uint8Array(MODEL.inputSize),
      inputScale: inV.q.scale,
      inputZeroPoint: inV.q.zeroPoint,
    } as Message),
  );
  const err4 = await waitFor(
    () => gw.messages.find((m) => m.type === 'ERROR' && sameBytes((m as { re?: Uint8Array }).re, bad)),
    WAIT_MS,
    'an ERROR for a wrong input shape',
    seen,
  );
  expect((err4 as Message & { code: number }).code).toBe(15);
}

const missingHost = missingTool([
  ['cmake', 'cmake'],
  ['gcc', 'gcc'],
]);

if (missingHost) {
  console.warn(`firmware link interop (host): skipped, ${missingHost}`);
  it.skip(`firmware link interop (host): skipped, ${missingHost}`, () => {});
} else {
  describe('firmware link interop: TypeScript LinkEndpoint <-> C (tinyfleet-vmcu over a pty)', () => {
    it('completes HELLO, sends HELLO and HEARTBEAT, answers bad messages with ERROR, survives garbage', async () => {
      const dir = cmakeBuild(
        'vitest-interop-host',
        ['-DCMAKE_C_COMPILER=gcc', '-DCMAKE_BUILD_TYPE=Debug'],
        ['tinyfleet-vmcu'],
      );
      const tmp = mkdtempSync(join(tmpdir(), 'tf-vmcu-'));
      cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
      const proc = spawn(
        join(dir, 'ports', 'host', 'tinyfleet-vmcu'),
        [
          '--flash-file',
          join(tmp, 'flash.bin'),
          '--slot-size',
          '64K',
          '--device-id',
          'vmcu-interop',
          '--core',
          'host',
          '--clock-hz',
          '48000000',
          '--ram',
          '128K',
          '--flash',
          '512K',
          '--model',
          writeModel(tmp),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      procs.push(proc);
      let out = '';
      let err = '';
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      proc.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const path = await waitFor(
        () => /^(\/dev\/\S+)$/m.exec(out)?.[1],
        WAIT_MS,
        'the pty path',
        () => out + err,
      );
      await helloContract(
        { proc, path, log: () => err },
        {
          deviceId: 'vmcu-interop',
          core: 'host',
          clockHz: 48_000_000,
          ramBytes: 128 * 1024,
          flashBytes: 512 * 1024,
          slotBytes: 64 * 1024,
          firmwareVersion: '0.1.0',
          training: true, // §4.4: the vmcu has training buffers (fqt)
        },
        MODEL.q,
      );
      expect(err).toMatch(/^ready: device agent \(link RAM \d+ B/m);
    }, 60_000);
  });
}

const missingQemu =
  missingTool([
    ['cmake', 'cmake'],
    ['arm-none-eabi-gcc', 'gcc-arm-none-eabi'],
  ]) ?? missingTool([['qemu-system-arm', 'qemu-system-arm']]);

if (missingQemu) {
  console.warn(`firmware link interop (QEMU mps2-an386): skipped, ${missingQemu}`);
  it.skip(`firmware link interop (QEMU mps2-an386): skipped, ${missingQemu}`, () => {});
} else {
  describe('firmware link interop: TypeScript LinkEndpoint <-> C (QEMU mps2-an386, -serial pty)', () => {
    it('completes HELLO and the same session contract on the Cortex-M4 image', async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'tf-mps2-'));
      cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
      const dir = cmakeBuild(
        'vitest-interop-mps2',
        [
          '-DTF_PORT=mps2-an386',
          `-DCMAKE_TOOLCHAIN_FILE=${join(FIRMWARE_DIR, 'cmake', 'arm-none-eabi.cmake')}`,
          '-DCMAKE_BUILD_TYPE=MinSizeRel',
          `-DTF_MODEL_TFM=${writeModel(tmp)}`,
        ],
        ['all'],
      );
      const elf = join(dir, 'ports', 'mps2-an386', 'tinyfleet-mps2-an386.elf');
      expect(run('test', ['-f', elf], { timeoutMs: 5000 }).status).toBe(0);
      const proc = spawn(
        'qemu-system-arm',
        ['-M', 'mps2-an386', '-display', 'none', '-monitor', 'stdio', '-serial', 'pty', '-kernel', elf],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      procs.push(proc);
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString('latin1');
      });
      proc.stderr?.on('data', (d: Buffer) => {
        out += d.toString('latin1');
      });
      const path = await waitFor(
        () => /char device redirected to (\/dev\/\S+) \(label serial0\)/.exec(out)?.[1],
        WAIT_MS,
        'the QEMU pty path',
        () => out,
      );
      await helloContract(
        { proc, path, log: () => out },
        {
          deviceId: 'mps2-an386-qemu',
          core: 'cortex-m4',
          clockHz: 25_000_000,
          baud: 115_200,
          training: true, // §4.4: the image has training buffers (fqt)
        },
        MODEL.q,
      );
    }, 90_000);
  });
}
