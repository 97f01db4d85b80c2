/** (De)serialisation of `TrainingState` inside the model header, with the big arrays in the blob. */
import { defaultOptimizerConfig, type OptimizerConfig, type OptimizerKind } from '../train/optim.js';
import type { ScheduleConfig } from '../train/schedule.js';
import type { EpochRecord, TrainConfig, TrainingState } from '../train/trainer.js';
import type { BlobWriter } from './format.js';
import { arr, fail, int, type Json, num, obj, span } from './validate.js';

export function encodeTraining(s: TrainingState, blob: BlobWriter): Json {
  return {
    config: s.config as unknown as Json,
    epoch: s.epoch,
    step: s.step,
    stopped: s.stopped,
    history: s.history as unknown as Json,
    optimizer: {
      config: s.optimizer.config as unknown as Json,
      t: s.optimizer.t,
      slots: s.optimizer.slots.map((x) => blob.add(x)),
    },
    best: s.best
      ? {
          epoch: s.best.epoch,
          valLoss: s.best.valLoss,
          params: blob.add(s.best.params),
          buffers: blob.add(s.best.buffers),
        }
      : null,
  };
}

export function decodeTraining(t: { [k: string]: Json }, blob: Float32Array): TrainingState {
  const take = (v: Json | undefined, what: string): Float32Array => {
    const s = span(v, what, blob.length);
    return blob.slice(s.offset, s.offset + s.length);
  };
  const o = obj(t.optimizer, 'training.optimizer');
  const oc = obj(o.config, 'training.optimizer.config');
  const kind = oc.kind;
  if (kind !== 'sgd' && kind !== 'adam') fail('training.optimizer.config.kind must be sgd or adam');
  const optConfig: OptimizerConfig = { ...defaultOptimizerConfig(kind as OptimizerKind), ...(oc as object) };
  const cfg = obj(t.config, 'training.config');
  obj(cfg.schedule, 'training.config.schedule');
  int(cfg.epochs, 'training.config.epochs', 1);
  int(cfg.batch, 'training.config.batch', 1);
  num(cfg.seed, 'training.config.seed');
  const best = t.best === null || t.best === undefined ? null : obj(t.best, 'training.best');
  return {
    config: {
      ...(cfg as unknown as TrainConfig),
      optimizer: optConfig,
      schedule: cfg.schedule as unknown as ScheduleConfig,
    },
    epoch: int(t.epoch, 'training.epoch'),
    step: int(t.step, 'training.step'),
    stopped: t.stopped === true,
    history: arr(t.history, 'training.history') as unknown as EpochRecord[],
    optimizer: {
      config: optConfig,
      t: int(o.t, 'training.optimizer.t'),
      slots: arr(o.slots, 'training.optimizer.slots').map((v, i) =>
        take(v, `training.optimizer.slots[${i}]`),
      ),
    },
    best: best
      ? {
          epoch: int(best.epoch, 'training.best.epoch'),
          valLoss: num(best.valLoss, 'training.best.valLoss'),
          params: take(best.params, 'training.best.params'),
          buffers: take(best.buffers, 'training.best.buffers'),
        }
      : null,
  };
}
