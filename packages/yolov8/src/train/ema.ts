import { tf, type DetectionModel, type HostTensor } from '@yolomods/core';

/**
 * ultralytics `ModelEMA`: an exponential moving average of every float parameter and buffer, with
 * decay `d·(1 − exp(−updates / tau))` so early updates follow the model closely.
 */
export class ModelEMA {
  /** Number of updates so far. */
  updates: number;

  constructor(
    /** The averaged copy (kept in eval mode). */
    readonly ema: DetectionModel,
    readonly decay = 0.9999,
    readonly tau = 2000,
    updates = 0,
  ) {
    this.updates = updates;
    this.ema.eval();
  }

  /** Blends the training model into the average. */
  update(model: DetectionModel): void {
    this.updates++;
    const d = this.decay * (1 - Math.exp(-this.updates / this.tau));
    const src = new Map(model.namedEntries());
    tf.tidy(() => {
      for (const [k, e] of this.ema.namedEntries()) {
        const s = src.get(k);
        if (!s) throw new Error(`EMA: the model has no '${k}'`);
        e.variable.assign(tf.add(tf.mul(e.variable, d), tf.mul(s.variable, 1 - d)));
      }
    });
  }

  /** Copies the model's values into the average (`deepcopy` at start). */
  copyFrom(model: DetectionModel): void {
    const src = new Map(model.namedEntries());
    for (const [k, e] of this.ema.namedEntries()) e.variable.assign(src.get(k)!.variable);
  }

  /** The average's PyTorch-keyed state dict. */
  stateDict(): Record<string, HostTensor> {
    return this.ema.stateDict();
  }
}
