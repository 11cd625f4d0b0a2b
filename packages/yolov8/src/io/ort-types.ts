/** An onnxruntime session, as far as a detector uses it (onnxruntime-node and onnxruntime-web alike). */
export interface OrtSession {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
  release(): Promise<void>;
}

/** The part of an onnxruntime module (`onnxruntime-node` or `onnxruntime-web`) a detector needs. */
export interface OnnxRuntime {
  InferenceSession: { create(model: Uint8Array): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}
