import { ModelProto } from './schema';

/** One graph input or output: name and shape (a string for a symbolic dimension such as `batch`). */
export interface OnnxIO {
  /** Tensor name. */
  name: string;
  /** Dimensions; `string` = symbolic (dynamic), `null` = unknown. */
  shape: (number | string | null)[];
}

/** What {@link readOnnxInfo} finds in a file: its `metadata_props` and graph inputs/outputs. */
export interface OnnxInfo {
  /** `metadata_props` as key → value (ultralytics: stride, task, batch, imgsz, names, …). */
  metadata: Record<string, string>;
  /** Graph inputs that are not initialisers. */
  inputs: OnnxIO[];
  /** Graph outputs. */
  outputs: OnnxIO[];
}

interface Dim { dimValue?: { toNumber(): number } | number; dimParam?: string }
interface ValueInfo { name: string; type?: { tensorType?: { shape?: { dim?: Dim[] } } } }
interface Model {
  graph?: { input?: ValueInfo[]; output?: ValueInfo[]; initializer?: { name: string }[] };
  metadataProps?: { key: string; value: string }[];
}

/** Reads an ONNX file's metadata and input/output shapes without running it; `file` names it in errors. */
export function readOnnxInfo(bytes: Uint8Array, file = 'ONNX file'): OnnxInfo {
  let m: Model;
  try {
    m = ModelProto.decode(bytes) as unknown as Model;
  } catch (e) {
    throw new Error(`${file}: not a readable ONNX model (truncated or another format): ${(e as Error).message}`);
  }
  if (!m.graph || !m.graph.output?.length) throw new Error(`${file}: not an ONNX model (no graph with outputs)`);
  const init = new Set((m.graph.initializer ?? []).map((t) => t.name));
  const io = (v: ValueInfo): OnnxIO => ({
    name: v.name,
    shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) =>
      d.dimParam ? d.dimParam : d.dimValue === undefined ? null : typeof d.dimValue === 'number' ? d.dimValue : d.dimValue.toNumber(),
    ),
  });
  return {
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key, p.value])),
    inputs: (m.graph.input ?? []).filter((v) => !init.has(v.name)).map(io),
    outputs: m.graph.output.map(io),
  };
}
