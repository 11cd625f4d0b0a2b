import { existsSync, readFileSync } from 'node:fs';
import type { ModelConfig, TensorMap } from '@yolomods/core';
import { parseWeights } from './parse';

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
  return parseWeights(typeof w === 'string' ? readFileSync(w) : w, source, typeof w === 'string' && /\.pt$/i.test(w));
}
