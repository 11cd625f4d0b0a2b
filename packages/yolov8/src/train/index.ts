export { train, incrementPath, type TrainOptions, type TrainResult, type TrainContext } from './trainer';
export { val, trainCommand, buildModel, type ValOptions } from './commands';
export { validate, validateOnnx, type ValidateOptions, type ValidateResult } from './validator';
export { DEFAULT_ARGS, parseArgs, type TrainArgs } from './hyp';
export { Optimizer, freezeLayers, resolveOptimizer, type ParamGroup } from './optimizer';
export { ModelEMA } from './ema';
export { saveCheckpoint, loadCheckpoint, splitCheckpoint, type CheckpointMeta } from './checkpoint';
export { appendResults, readResults, plotResults, resultsSvg, RESULT_KEYS } from './results';
