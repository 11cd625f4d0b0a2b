import { existsSync, readFileSync } from 'node:fs';
import { parseSafetensors, type ModelConfig, type TensorMap } from '@yolomods/core';
import { loadPt } from './pt';
import { splitCheckpoint, type CheckpointMeta } from '../train/checkpoint';

/** Weights read from a `.safetensors` (plain or a yolomods checkpoint) or an ultralytics `.pt`. */
export interface LoadedWeights {
  /** PyTorch-keyed state dict (`num_batches_tracked` included when the file has it). */
  stateDict: TensorMap;
  /** The architecture the weights were saved with, when the file carries it. */
  yaml?: ModelConfig;
  /** Class names, when the file carries them. */
  names?: string[];
  /** Number of classes, when known. */
  nc?: number;
  /** File name (or `<weights buffer>`) for messages. */
  source: string;
}

/** Reads a weights file or its bytes: ultralytics `.pt` (zip), yolomods checkpoint (EMA weights) or plain safetensors. */
export function readWeights(w: string | Uint8Array): LoadedWeights {
  const source = typeof w === 'string' ? w : '<weights buffer>';
  if (typeof w === 'string' && !existsSync(w)) throw new Error(`weights file not found: ${w}`);
  const bytes = typeof w === 'string' ? readFileSync(w) : w;
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  if (isZip || (typeof w === 'string' && /\.pt$/i.test(w))) {
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
