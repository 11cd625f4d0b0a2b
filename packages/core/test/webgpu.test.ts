import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { assertClose, initBackend, nhwcToNchw, parseModel, readCase, tf } from '../src/index';
import { config, fixture } from './fixtures';

const req = createRequire(import.meta.url);

/** Why the webgpu test cannot run here, or null when a GPU adapter exists. */
async function noAdapter(): Promise<string | null> {
  let webgpu: { create(flags: string[]): { requestAdapter(): Promise<unknown> } };
  try {
    webgpu = req('webgpu');
    req.resolve('@tensorflow/tfjs-backend-webgpu');
  } catch {
    return 'the optional `webgpu` / `@tensorflow/tfjs-backend-webgpu` packages are not installed';
  }
  try {
    return (await webgpu.create([]).requestAdapter()) ? null : 'dawn found no GPU adapter (no Vulkan/GL driver for a GPU)';
  } catch (e) {
    return `dawn failed: ${(e as Error).message}`;
  }
}

const reason = await noAdapter();

describe('webgpu backend', () => {
  it.skipIf(reason !== null)(`yolov8.yaml scale t matches the whole-model case on webgpu${reason ? ` (skipped: ${reason})` : ''}`, async () => {
    expect(await initBackend({ backend: 'webgpu', log: false })).toBe('webgpu');
    const c = readCase(fixture('models/model_yolov8_t.safetensors'));
    const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 5 }).loadStateDict(c.weights).eval();
    const x = tf.tidy(() => tf.transpose(tf.tensor(c.inputs[0]!.data, c.inputs[0]!.shape), [0, 2, 3, 1])) as tf.Tensor4D;
    const { y, feats } = model.forward(x);
    tf.tidy(() => {
      assertClose(tf.transpose(y!, [0, 2, 1]), c.outputs[0]!, c.meta.tolerance.y, 'y');
      feats.forEach((f, i) => assertClose(nhwcToNchw(f), c.outputs[i + 1]!, c.meta.tolerance.raw_maps, `feats.${i}`));
    });
    tf.dispose([x, y!, ...feats]);
    model.dispose();
  });
});
