import { parseModel, registry as sharedRegistry, type DetectionModel, type ModelConfig, type Registry } from '@yolomods/core';
import type { LoadedWeights } from './weights/read';

/** What {@link assemble} builds from. */
export interface AssembleOptions {
  scale?: string;
  nc?: number;
  registry?: Registry;
  /** Weights to load (keys and shapes must fit exactly). */
  weights?: LoadedWeights;
  /** Class names (default: the weights'). */
  names?: string[];
}

/** Builds a model from a parsed config, loads the weights and names, eval mode; errors name the weights' source. */
export function assemble(cfg: ModelConfig, opts: AssembleOptions = {}): DetectionModel {
  const w = opts.weights;
  const model = parseModel(cfg, { scale: opts.scale, nc: opts.nc ?? w?.nc, registry: opts.registry ?? sharedRegistry, warn: () => {} });
  try {
    if (w) model.loadStateDict(w.stateDict);
    const names = opts.names ?? w?.names;
    if (names) {
      if (names.length !== model.nc) throw new Error(`names has ${names.length} entries but the model has nc=${model.nc}`);
      model.names = [...names];
    }
  } catch (e) {
    model.dispose();
    throw new Error(`${w?.source ?? 'weights'}: ${(e as Error).message}`);
  }
  return model.eval();
}
