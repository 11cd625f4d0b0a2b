import { describe, expect, it } from 'vitest';
import { detectRgb, type Engine } from '../src/detect';
import { letterboxInput } from '../src/letterbox';

const noise = (w: number, h: number, seed: number) => {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  return { data, width: w, height: h };
};

/** An engine that keeps each input array and a copy of its values as they are when the run ends. */
function recording(wait: () => Promise<void> = async () => {}) {
  const seen: { array: Float32Array; values: Float32Array }[] = [];
  const engine: Engine = {
    names: ['a'],
    stride: 32,
    rect: true,
    layout: 'nchw',
    async run(input) {
      await wait();
      seen.push({ array: input, values: input.slice() });
      return { data: new Float32Array(5 * 10), dims: [1, 5, 10], layout: 'bca' };
    },
  };
  return { engine, seen };
}

const fresh = (img: ReturnType<typeof noise>) => letterboxInput(img, 64, { stride: 32, auto: true, layout: 'nchw' }).input;

describe('detectRgb input arrays', () => {
  it('reuses an array between pictures of one size and writes every value of it again', async () => {
    const { engine, seen } = recording();
    const [a, b, c] = [noise(64, 48, 1), noise(64, 48, 2), noise(64, 20, 3)];
    for (const img of [a, b, c, a]) await detectRgb(engine, img, 64, {});
    expect(seen.map((s) => s.values)).toEqual([a, b, c, a].map(fresh));
    expect(seen[1]!.array).toBe(seen[0]!.array); // same size: reused
    expect(seen[2]!.array).not.toBe(seen[0]!.array); // another size: its own
    expect(seen[3]!.array).toBe(seen[0]!.array);
  });

  it('gives runs in flight on one engine their own arrays', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { engine, seen } = recording(() => gate);
    const [a, b] = [noise(64, 48, 4), noise(64, 48, 5)];
    const runs = [detectRgb(engine, a, 64, {}), detectRgb(engine, b, 64, {})];
    release();
    await Promise.all(runs);
    expect(seen[0]!.array).not.toBe(seen[1]!.array);
    expect(seen.map((s) => s.values)).toEqual([a, b].map(fresh));
  });
});
