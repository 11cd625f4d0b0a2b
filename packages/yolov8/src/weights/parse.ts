import { parseSafetensors, type HostTensor, type ModelConfig } from '@yolomods/core';
import type { CheckpointMeta } from '../train/checkpoint';
import { loadPt } from './pt';
import type { LoadedWeights } from './read';

// File-free half of read.ts, shared with the browser entry.

/** Reads weights from bytes: ultralytics `.pt` (zip), yolomods checkpoint (EMA weights) or plain safetensors. */
export function parseWeights(bytes: Uint8Array, source: string, isPt = false): LoadedWeights {
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  if (isZip || isPt) {
    const ck = loadPt(bytes, { source });
    return { stateDict: ck.stateDict, yaml: ck.yaml, names: ck.names, nc: ck.nc, source };
  }
  const { tensors, metadata } = parseSafetensors(bytes, source);
  if (metadata.yolomods) {
    const meta = JSON.parse(metadata.yolomods) as CheckpointMeta;
    return { stateDict: splitCheckpoint(tensors).ema, yaml: meta.model.yaml, names: meta.model.names, nc: meta.model.yaml.nc as number, source };
  }
  const yaml = metadata.yaml ? (JSON.parse(metadata.yaml) as ModelConfig) : undefined;
  const names = metadata.names ? (JSON.parse(metadata.names) as string[]) : undefined;
  return { stateDict: tensors, yaml, names, nc: names?.length ?? (yaml?.nc as number | undefined), source };
}

/** Splits checkpoint tensors into EMA weights, training weights and optimiser state. */
export function splitCheckpoint(tensors: Record<string, HostTensor>): { ema: Record<string, HostTensor>; train: Record<string, HostTensor>; optim: Record<string, HostTensor> } {
  const ema: Record<string, HostTensor> = {};
  const train: Record<string, HostTensor> = {};
  const optim: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(tensors)) {
    if (k.startsWith('train.')) train[k.slice(6)] = v;
    else if (k.startsWith('optim.')) optim[k] = v;
    else if (k.startsWith('accum.')) continue;
    else ema[k] = v;
  }
  return { ema, train, optim };
}
