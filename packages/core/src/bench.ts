import { tf } from './runtime';

function tensorsIn(c: unknown, acc: tf.Tensor[] = []): tf.Tensor[] {
  if (c instanceof tf.Tensor) acc.push(c);
  else if (Array.isArray(c)) c.forEach((v) => tensorsIn(v, acc));
  else if (c && typeof c === 'object') Object.values(c).forEach((v) => tensorsIn(v, acc));
  return acc;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Untimed calls first (default 2). */
  warmup?: number;
  /** Timed calls (default 5). */
  runs?: number;
}

/** What {@link measure} found. */
export interface Measurement {
  /** Median wall time of one call, in ms (the result is downloaded, so async backends are included). */
  ms: number;
  /** Fastest call, in ms. */
  minMs: number;
  /** Peak bytes of live tensors during one call (TF.js profiler). */
  peakBytes: number;
  /** Live tensors after the timed calls minus before: must be 0 for a leak-free path. */
  tensorGrowth: number;
}

/**
 * Times `fn` (median of repeated runs after warm-up) and measures its peak tensor memory and
 * tensor growth. `fn` returns the tensors it made; they are downloaded and disposed.
 */
export async function measure(fn: () => tf.TensorContainer, opts: MeasureOptions = {}): Promise<Measurement> {
  const once = async () => {
    const out = fn();
    await Promise.all(tensorsIn(out).map((t) => t.data()));
    tf.dispose(out);
  };
  for (let i = 0; i < (opts.warmup ?? 2); i++) await once();
  const before = tf.memory().numTensors;
  const times: number[] = [];
  for (let i = 0; i < (opts.runs ?? 5); i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  const tensorGrowth = tf.memory().numTensors - before;
  const prof = await tf.profile(() => {
    const out = fn();
    tf.dispose(out);
  });
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, minMs: times[0]!, peakBytes: prof.peakBytes, tensorGrowth };
}
