import type { OnnxRuntime } from './ort-types';

/** onnxruntime for Node: the given module, else the optional dependency onnxruntime-node. */
export async function loadOnnxRuntime(file: string, given?: OnnxRuntime): Promise<OnnxRuntime> {
  if (given) return given;
  try {
    return (await import('onnxruntime-node')) as unknown as OnnxRuntime;
  } catch {
    throw new Error(`${file}: running .onnx models needs the optional dependency onnxruntime-node (npm i onnxruntime-node)`);
  }
}
