import type { OnnxRuntime } from './ort-types';

/** onnxruntime in a page: the given module (`await import('onnxruntime-web')`) or a global `ort` from a script tag. */
export async function loadOnnxRuntime(file: string, given?: OnnxRuntime): Promise<OnnxRuntime> {
  const ort = given ?? (globalThis as { ort?: OnnxRuntime }).ort;
  if (!ort) throw new Error(`${file}: running .onnx models in a page needs onnxruntime-web: pass { ort: await import('onnxruntime-web') }`);
  return ort;
}
