import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { parseSafetensors, writeSafetensors, type HostTensor } from '@yolomods/core';

/** What a training checkpoint holds besides tensors (stored as JSON in `__metadata__.yolomods`). */
export interface CheckpointMeta {
  /** Last completed epoch (0-based), -1 for final weights only. */
  epoch: number;
  /** Best fitness so far. */
  best_fitness: number | null;
  /** Iteration of the last optimiser step (gradient accumulation). */
  last_opt_step?: number;
  /** EMA updates so far. */
  updates: number;
  /** Optimiser scalars. */
  optimizer: Record<string, unknown> | null;
  /** Training arguments. */
  train_args: Record<string, unknown>;
  /** Seeded-generator state: the run seed (batches derive from seed, epoch and index). */
  rng: { seed: number };
  /** Model YAML (so a checkpoint rebuilds its model), scale letter and class names. */
  model: { yaml: Record<string, unknown>; names: string[] };
  /** ISO date. */
  date: string;
  /** Writer. */
  version: string;
}

/**
 * Writes a checkpoint: plain keys are the EMA weights (what inference loads), `train.<key>` the raw
 * training weights, `optim.*` the optimiser state. The bytes go to a temporary file that is fsynced
 * and renamed over the target, so an interrupted write leaves the previous file intact.
 */
export function saveCheckpoint(file: string, tensors: Record<string, HostTensor>, meta: CheckpointMeta): void {
  const bytes = writeSafetensors(tensors, { metadata: { format: 'pt', yolomods: JSON.stringify(meta) } });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

/** Reads a checkpoint written by {@link saveCheckpoint}. */
export function loadCheckpoint(file: string): { tensors: Record<string, HostTensor>; meta: CheckpointMeta } {
  if (!existsSync(file)) throw new Error(`checkpoint not found: ${file}`);
  const { tensors, metadata } = parseSafetensors(readFileSync(file), file);
  if (!metadata.yolomods) throw new Error(`${file}: not a yolomods training checkpoint (no yolomods metadata)`);
  return { tensors, meta: JSON.parse(metadata.yolomods) as CheckpointMeta };
}

export { splitCheckpoint } from '../weights/parse';
