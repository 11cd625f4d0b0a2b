import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resizeLinear } from '../src/data/resize';
import { decodeImage } from '../src/data/images';
import { letterbox, letterboxInput, toInput } from '../src/letterbox';
import { fixture } from './helpers';

// cv2.resize(INTER_LINEAR) outputs from test/fixtures/cv2_resize_ref.py: down- and upscales, odd sizes, a halving.
const REF = JSON.parse(readFileSync(new URL('./fixtures/cv2_resize_ref.json', import.meta.url), 'utf8')) as {
  cases: { src: [number, number]; dst: [number, number]; srcData: string; dstData: string }[];
};

describe('resizeLinear', () => {
  it.each(REF.cases.map((c) => [`${c.src.join('x')} → ${c.dst.join('x')}`, c] as const))('is bit-exact with cv2 INTER_LINEAR: %s', (_, c) => {
    const src = { data: new Uint8Array(Buffer.from(c.srcData, 'base64')), width: c.src[0], height: c.src[1] };
    const out = resizeLinear(src, c.dst[0], c.dst[1]);
    const want = new Uint8Array(Buffer.from(c.dstData, 'base64'));
    let diff = 0;
    for (let i = 0; i < want.length; i++) if (out.data[i] !== want[i]) diff++;
    expect(out.data.length).toBe(want.length);
    expect(diff).toBe(0);
  });

  it('names a bad size', () => {
    expect(() => resizeLinear({ data: new Uint8Array(12), width: 2, height: 2 }, 0, 3)).toThrow(/resize: size must be positive integers, got 0×3/);
  });
});

describe('letterboxInput', () => {
  // a real photo and synthetic noise: a down-, an up-scale, a halving, a copy, square and minimal-rectangle padding
  const noise = (w: number, h: number, seed: number) => {
    const data = new Uint8Array(w * h * 3);
    let s = seed;
    for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    return { data, width: w, height: h };
  };
  const cases: [string, () => Promise<{ data: Uint8Array; width: number; height: number }>, number | [number, number], boolean][] = [
    ['bus.jpg → 640 square', () => decodeImage(fixture('images/bus.jpg')), 640, false],
    ['bus.jpg → 320 rect', () => decodeImage(fixture('images/bus.jpg')), 320, true],
    ['noise 97×61 → 160 (upscale)', async () => noise(97, 61, 1), 160, false],
    ['noise 320×240 → 160 (halving)', async () => noise(320, 240, 2), [120, 160], false],
    ['noise 64×48 → 64 (copy)', async () => noise(64, 48, 3), 64, true],
  ];
  it.each(cases)('writes exactly toInput(letterbox(...)) in both layouts: %s', async (_, load, imgsz, auto) => {
    const img = await load();
    const lb = letterbox(img, imgsz, { auto });
    for (const layout of ['nhwc', 'nchw'] as const) {
      const want = toInput(lb, layout);
      // into a batch slot of an array holding garbage, so every value must be written
      const out = new Float32Array(7 + want.length + 5).fill(Number.NaN);
      const got = letterboxInput(img, imgsz, { auto, layout, out, offset: 7 });
      expect([got.width, got.height, got.ratio, ...got.pad]).toEqual([lb.width, lb.height, lb.ratio, ...lb.pad]);
      let diff = 0;
      for (let i = 0; i < want.length; i++) if (!(out[7 + i] === want[i])) diff++;
      expect(diff).toBe(0);
      expect(Number.isNaN(out[6]!) && Number.isNaN(out[7 + want.length]!)).toBe(true);
    }
  });

  it('names a bad layout and a short output', () => {
    const img = { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8 };
    expect(() => letterboxInput(img, 8, { layout: 'hwc' as 'nhwc' })).toThrow(/letterboxInput: layout must be nhwc or nchw, got hwc/);
    expect(() => letterboxInput(img, 8, { out: new Float32Array(10) })).toThrow(/letterboxInput: output holds 10 values, needs 192/);
  });
});
