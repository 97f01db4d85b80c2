/**
 * A data-parallel training shard (rank >= 1) on its own thread: on each command it copies the shared
 * parameters, runs forward / backward on its slice of the batch (BatchNorm statistics reduced with the
 * other shards), and leaves its gradients and loss in the exchange buffer.
 */
import { workerData } from 'node:worker_threads';
import { SharedCollective } from '../../engine/collective.js';
import { Plan } from '../../engine/plan.js';
import { softmaxCrossEntropy } from '../loss.js';
import { CMD_STOP, CTRL, exchangeViews, type WorkerInit } from './layout.js';

const init = (workerData as { init: WorkerInit }).init;
const collective = new SharedCollective(init.collective, init.rank, init.size, init.reduceCapacity);
const ex = exchangeViews(init.exchange, init.sizes);
const ctrl = ex.ctrl;
try {
  const plan = new Plan(init.graph, {
    batch: init.sizes.capacity,
    training: true,
    seed: init.seed,
    collective,
  });
  const nParams = plan.params.length;
  const params = new Float32Array(init.state, 0, nParams);
  const buffers = new Float32Array(init.state, nParams * 4, init.buffers);
  const input = plan.act(plan.inputName);
  const logits = plan.act(plan.logits);
  const dlogits = plan.grad(plan.logits)!;
  const k = init.numClasses;
  Atomics.store(ctrl, CTRL.READY, 1);
  Atomics.notify(ctrl, CTRL.READY);
  let seen = 0;
  for (;;) {
    while (Atomics.load(ctrl, CTRL.SEQ) === seen) Atomics.wait(ctrl, CTRL.SEQ, seen, 1000);
    seen = Atomics.load(ctrl, CTRL.SEQ);
    if (Atomics.load(ctrl, CTRL.CMD) === CMD_STOP) break;
    const n = Atomics.load(ctrl, CTRL.N);
    const total = Atomics.load(ctrl, CTRL.TOTAL);
    plan.params.f32.set(params);
    plan.buffers.f32.set(buffers);
    input.f32.set(ex.input.subarray(0, n * init.sizes.sampleSize));
    plan.forward(n, true, Atomics.load(ctrl, CTRL.STEP));
    const d = dlogits.f32;
    if (n > 0) {
      const r = softmaxCrossEntropy(logits.f32, ex.labels, n, k, d);
      const scale = n / total; // the loss is the mean over the whole batch
      for (let i = 0; i < n * k; i++) d[i]! *= scale;
      ex.stats[0] = r.loss * n;
      ex.stats[1] = r.correct;
    } else {
      ex.stats[0] = 0;
      ex.stats[1] = 0;
    }
    plan.backward(n); // also with n = 0: the BatchNorm reductions need every shard
    if (n > 0) ex.grads.set(plan.grads.f32);
    else ex.grads.fill(0);
    Atomics.store(ctrl, CTRL.DONE, seen);
    Atomics.notify(ctrl, CTRL.DONE);
  }
} catch (err) {
  collective.abort();
  Atomics.store(ctrl, CTRL.READY, -1);
  Atomics.notify(ctrl, CTRL.READY);
  Atomics.store(ctrl, CTRL.DONE, -1);
  Atomics.notify(ctrl, CTRL.DONE);
  throw err;
}
