/**
 * Issue 5 acceptance: an independent client that implements only protocol/spec/PROTOCOL.md can open
 * the virtual MCU's pty, complete HELLO and run an inference. The client is
 * `test/firmware/spec-client/client.py` (Python 3 standard library only, written from the spec text:
 * §3 framing, CRC, selective repeat; its own RFC 8949 CBOR; §4.2 HELLO / HELLO_ACK; §4.5
 * INFER_REQUEST / INFER_RESULT; the model input read from the artifact by §5.2 / §5.5). This test
 * starts tinyfleet-vmcu with a ref-cnn artifact, runs the client against its pty, and checks every
 * output byte against the TypeScript integer Interpreter; a second client run (a new link session on
 * a device that is up) must work too, and a request with a wrong input zero point must come back as
 * the device's ERROR INCOMPATIBLE. Skips, naming the Debian package, when python3 or the C
 * toolchain is missing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refCnn } from '@tinyfleet/cloud/ml';
import {
  Interpreter,
  postTrainingQuantize,
  type QGraph,
  writeQuantizedArtifact,
} from '@tinyfleet/cloud/quant';
import { afterEach, describe, expect, it } from 'vitest';
import { calibrationSplit, firstMismatch, randomInputs } from './nn-models.js';
import { cmakeBuild, missingTool, REPO_ROOT } from './toolchain.js';
import { startVmcu, type Vmcu } from './vmcu.js';

const CLIENT = join(REPO_ROOT, 'test', 'firmware', 'spec-client', 'client.py');
const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface ClientRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the Python client to completion (bounded); never blocks the event loop. */
function runClient(args: readonly string[], timeoutMs = 30_000): Promise<ClientRun> {
  return new Promise((resolve) => {
    const p = spawn('python3', [CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

interface ClientResult {
  dev: string;
  msha: string | null;
  msha_is: string | null;
  link: { W: number; P: number; M: number };
  results: { cls: number; y: string; ys_bits: number; yz: number }[];
  messages: number[];
}

function f32Bits(x: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x);
  return dv.getUint32(0);
}

function check(run: ClientRun, q: QGraph, inputs: Uint8Array[], vm: Vmcu): ClientResult {
  const seen = `client stderr:\n${run.stderr}\ndevice log:\n${vm.log()}`;
  expect(run.status, seen).toBe(0);
  const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as ClientResult;
  expect(out.dev).toBe('vmcu-spec');
  expect(out.messages[0], 'the first message is HELLO (§4.2 item 1)').toBe(0x01);
  expect(out.results.length).toBe(inputs.length);
  const interp = new Interpreter(q);
  const outV = q.values.get(q.output)!;
  for (const [i, x] of inputs.entries()) {
    const want = interp.run(x);
    const got = Buffer.from(out.results[i]!.y, 'hex');
    const at = firstMismatch(got, want);
    expect(at, `input ${i}: first mismatching index ${at}: device ${got[at]} vs TS ${want[at]}`).toBe(-1);
    expect(out.results[i]!.cls).toBe(want.indexOf(Math.max(...want)));
    expect(out.results[i]!.yz).toBe(outV.q.zeroPoint);
    expect(out.results[i]!.ys_bits).toBe(f32Bits(outV.q.scale));
  }
  return out;
}

const missing =
  missingTool([['python3', 'python3']]) ??
  missingTool([
    ['cmake', 'cmake'],
    ['gcc', 'gcc'],
  ]);

if (missing) {
  console.warn(`spec-only client (Python): skipped, ${missing}`);
  it.skip(`spec-only client (Python): skipped, ${missing}`, () => {});
} else {
  describe('an independent client written from PROTOCOL.md only (Python) <-> tinyfleet-vmcu', () => {
    it('completes HELLO and runs inferences bit-exact with the TypeScript interpreter', async () => {
      const dir = cmakeBuild(
        'vitest-spec-client',
        ['-DCMAKE_C_COMPILER=gcc', '-DCMAKE_BUILD_TYPE=Debug'],
        ['tinyfleet-vmcu'],
      );
      const tmp = mkdtempSync(join(tmpdir(), 'tf-spec-client-'));
      cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
      const g = refCnn();
      const q = postTrainingQuantize(g, calibrationSplit(g.inputs[0]!.shape, 8), { samples: 8 });
      const model = join(tmp, 'ref-cnn.tfm');
      writeFileSync(model, writeQuantizedArtifact(q, { name: 'ref-cnn', modelVersion: 3 }));
      const inputs = randomInputs(28 * 28, 3, 77);
      const files = inputs.map((x, i) => {
        const f = join(tmp, `x${i}.bin`);
        writeFileSync(f, x);
        return f;
      });
      const vm = await startVmcu(join(dir, 'ports', 'host', 'tinyfleet-vmcu'), [
        '--flash-file',
        join(tmp, 'flash.bin'),
        '--slot-size',
        '64K',
        '--device-id',
        'vmcu-spec',
        '--model',
        model,
      ]);
      cleanups.push(() => {
        if (vm.proc.exitCode === null && vm.proc.signalCode === null) vm.proc.kill('SIGKILL');
      });
      const base = ['--port', vm.path, '--model', model];

      const first = check(await runClient([...base, ...files.flatMap((f) => ['--input', f])]), q, inputs, vm);
      // 784-byte inputs span several 256-byte frames: fragmentation and acks were exercised
      expect(first.link.P).toBe(256);
      // HELLO msha is the §5.8 content digest of the artifact in the slot, not the file's SHA-256 (§4.2.1)
      expect(first.msha_is).toBe('content');

      // a second client: a new link session with a device that is already up (§3.6.3 peer reset)
      check(await runClient([...base, '--input', files[2]!]), q, [inputs[2]!], vm);

      // the client reports the device's refusal: input zero point not the model's -> INCOMPATIBLE
      const inV = q.values.get(q.input)!;
      const bad = await runClient([...base, '--xz', String((inV.q.zeroPoint + 1) & 255)]);
      expect(bad.status, bad.stdout).toBe(1);
      expect(bad.stderr).toMatch(/device answered ERROR code 15\b/);
    }, 120_000);
  });
}
