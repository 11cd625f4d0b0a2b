export { tf, initBackend, type BackendName, type InitBackendOptions } from './runtime';
export { registerWasmKernels, WASM_TRAINING_KERNELS, CPU_FIXED_KERNELS } from './wasm/kernels';
export { wasmThreads, shutdownWasmThreads, requestedThreads } from './wasm/threads';
export { toHost, fromHost, nchwToNhwc, nhwcToNchw, isHostTensor, type HostTensor, type TensorMap } from './tensor';
export { Module, Sequential, ModuleList, toTorchLayout, type Layout, type ParamEntry, type LoadOptions, type StateValue } from './module';
export { Conv2d, BatchNorm2d, Linear, LayerNorm, Dropout, SiLU, ReLU, GELU, Sigmoid, Identity, MaxPool2d, Upsample, Concat, torchDimToNhwc, type Conv2dConfig } from './nn/layers';
export { conv2d, matMul, pair, type Conv2dOptions, type Pair } from './ops/conv';
export { gridSample, gatherPixels, pixelShuffle, pixelUnshuffle, upsampleNearest, type GridSampleOptions } from './ops/sample';
export { adamwUpdate, sgdUpdate, type AdamWSettings, type SgdSettings } from './ops/optim';
export { countMacs, addMacs } from './ops/flops';
export { manualSeed, normalInit, uniformInit } from './ops/init';
export { Conv, DWConv, autopad, DEFAULT_ACT } from './blocks/conv';
export { Bottleneck, C2f, SPPF } from './blocks/c2f';
export { Detect, DFL, makeAnchors, dist2bbox, type DetectOutput } from './blocks/detect';
export {
  Registry,
  UnknownModuleError,
  rules,
  makeDivisible,
  channelOf,
  providerOf,
  type BlockDefinition,
  type ParseContext,
  type ChannelResult,
  type Plugin,
} from './registry';
export { registry, registerStandardBlocks, ctor } from './standard';
export { configsDirOf } from './configs-dir';
export { parseModel, loadConfig, type ParseOptions, type ModelConfig } from './parse';
export { DetectionModel, type LayerInfo, type ModelInfo, type InfoOptions } from './model';
export { readSafetensors, parseSafetensors, writeSafetensors, type SafetensorsFile, type SafetensorsDtype, type WriteSafetensorsOptions } from './io/safetensors';
export { readCase, assertClose, checkModuleCase, unregisteredKernels, type FixtureCase, type Tolerance, type CheckOptions, type CaseReport } from './testing';
export { measure, type Measurement, type MeasureOptions } from './bench';
export { exportOnnx, type OnnxExportOptions } from './onnx/export';
export { formatNamesLiteral, parseNamesLiteral } from './onnx/metadata';
export { readOnnxInfo, type OnnxInfo, type OnnxIO } from './onnx/read';
export { OnnxBuilder, OnnxFloat, type OnnxValue, type OnnxAttr } from './onnx/builder';
export { exportChild } from './module';
