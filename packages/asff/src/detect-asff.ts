import { Detect, tf, type DetectOutput, type OnnxBuilder, type OnnxValue } from '@yolomods/core';
import { ASFF, type AsffWeights } from './asff';

/**
 * YOLOv8 `Detect` behind three ASFF fusions (seed `ASFF_Detect` with the v8 head): the maps become
 * `[l2_fusion(x), l1_fusion(x), l0_fusion(x)]` (P3, P4, P5) before the standard box/class branches,
 * DFL decode and bias init. Fusion channels follow `ch`, so every scale builds.
 */
export class Detect_ASFF extends Detect {
  /** Fusion at P5 resolution (seed level 0). */
  readonly l0_fusion: ASFF;
  /** Fusion at P4 resolution (seed level 1). */
  readonly l1_fusion: ASFF;
  /** Fusion at P3 resolution (seed level 2). */
  readonly l2_fusion: ASFF;

  constructor(nc = 80, ch: number[] = []) {
    if (!Array.isArray(ch) || ch.length !== 3) {
      throw new Error(`Detect_ASFF needs exactly 3 input levels [P3, P4, P5], got ch=${JSON.stringify(ch)}`);
    }
    super(nc, ch);
    this.l0_fusion = this.module('l0_fusion', new ASFF(0, ch));
    this.l1_fusion = this.module('l1_fusion', new ASFF(1, ch));
    this.l2_fusion = this.module('l2_fusion', new ASFF(2, ch));
  }

  /** The fusions in head order (P3, P4, P5). */
  get fusions(): [ASFF, ASFF, ASFF] {
    return [this.l2_fusion, this.l1_fusion, this.l0_fusion];
  }

  /** Whether the fusions keep their softmax weights (see {@link fusionWeights}). */
  get vis(): boolean {
    return this.l0_fusion.vis;
  }

  set vis(on: boolean) {
    for (const f of this.fusions) {
      f.vis = on;
      if (!on) f.clearWeights();
    }
  }

  /** Fusion weights of the last forward with `vis` on, per level (P3, P4, P5); owned by the head. */
  fusionWeights(): (AsffWeights | null)[] {
    return this.fusions.map((f) => f.lastWeights);
  }

  override dispose(): void {
    this.vis = false;
    super.dispose();
  }

  override forward(xs: tf.Tensor4D[]): DetectOutput {
    if (!Array.isArray(xs) || xs.length !== 3) throw new Error(`Detect_ASFF expects 3 feature maps [P3, P4, P5], got ${Array.isArray(xs) ? xs.length : 'a single tensor'}`);
    const fused: tf.Tensor4D[] = [];
    try {
      for (const f of this.fusions) fused.push(f.forward(xs));
      return super.forward(fused);
    } finally {
      tf.dispose(fused);
    }
  }

  /** ONNX export: the same fusions in front of Detect's branches and decode. */
  protected override onnxHeads(g: OnnxBuilder, xs: OnnxValue[]): OnnxValue[] {
    return super.onnxHeads(g, this.fusions.map((f) => f.toOnnx(g, xs)));
  }
}
