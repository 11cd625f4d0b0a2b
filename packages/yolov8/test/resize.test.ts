import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { resizeLinear, resizeLinearInto, resizeLinearToInput, UNIT } from '../src/data/resize';
import { simdResize, useSimdResize } from '../src/data/resize-simd';
import { taps } from '../src/data/resize-taps';
import { decodeImage } from '../src/data/images';
import { letterbox, letterboxInput, toInput } from '../src/letterbox';
import { fixture } from './helpers';

// cv2.resize(INTER_LINEAR) outputs from test/fixtures/cv2_resize_ref.py: down- and upscales, odd sizes, a halving.
const REF = JSON.parse(readFileSync(new URL('./fixtures/cv2_resize_ref.json', import.meta.url), 'utf8')) as {
  cases: { src: [number, number]; dst: [number, number]; srcData: string; dstData: string }[];
};

const KERNELS = [['WebAssembly SIMD', true] as const, ['JavaScript', false] as const];

describe.each(KERNELS)('resizeLinear (%s)', (_, simd) => {
  afterEach(() => useSimdResize(true));
  it.each(REF.cases.map((c) => [`${c.src.join('x')} → ${c.dst.join('x')}`, c] as const))('is bit-exact with cv2 INTER_LINEAR: %s', (_, c) => {
    useSimdResize(simd);
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

describe('WebAssembly SIMD resize', () => {
  const bytes = (n: number, seed: number) => {
    const data = new Uint8Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) data[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    return data;
  };
  afterEach(() => useSimdResize(true));

  it('is compiled from its current source (resize.wat)', () => {
    const script = fileURLToPath(new URL('../../../scripts/build-wasm.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, fileURLToPath(new URL('../src/data', import.meta.url)), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs here (Node has WebAssembly SIMD), so the cases above test it', () => {
    const img = { data: bytes(5 * 4 * 3, 1), width: 5, height: 4 };
    expect(simdResize(img, 3, 7, taps(5, 3, true), taps(4, 7, false), 'u8')).not.toBeNull();
  });

  it('gives the JavaScript kernels’ values in every layout, written only inside the picture (random sizes)', () => {
    const size = fc.integer({ min: 1, max: 70 });
    fc.assert(
      fc.property(size, size, size, size, fc.nat(3), fc.nat(3), fc.nat(1000), (sw, sh, w, h, left, top, seed) => {
        const img = { data: bytes(sw * sh * 3, seed), width: sw, height: sh };
        const W = w + left + 2;
        const H = h + top + 1;
        const run = (on: boolean) => {
          useSimdResize(on);
          const u8 = new Uint8Array(W * H * 3).fill(7);
          resizeLinearInto(img, w, h, u8, W * 3, (top * W + left) * 3);
          const nhwc = new Float32Array(W * H * 3 + 5).fill(Number.NaN);
          resizeLinearToInput(img, w, h, nhwc, 'nhwc', { width: W, height: H, left, top, offset: 5 });
          const nchw = new Float32Array(W * H * 3 + 5).fill(Number.NaN);
          resizeLinearToInput(img, w, h, nchw, 'nchw', { width: W, height: H, left, top, offset: 5 });
          return { u8: [...u8], nhwc: [...nhwc], nchw: [...nchw] };
        };
        const js = run(false);
        const wasm = run(true);
        expect(wasm).toEqual(js);
        // the border keeps what was there
        const inside = (i: number) => {
          const x = Math.floor(i / 3) % W;
          const y = Math.floor(i / 3 / W);
          return x >= left && x < left + w && y >= top && y < top + h;
        };
        expect(wasm.u8.every((v, i) => inside(i) || v === 7)).toBe(true);
        expect(wasm.nhwc.filter(Number.isNaN).length).toBe(5 + (W * H - w * h) * 3);
        expect(wasm.nchw.filter(Number.isNaN).length).toBe(5 + (W * H - w * h) * 3);
      }),
      { numRuns: 150 },
    );
  });

  it('turns every byte value into exactly byte / 255 as float32', () => {
    const seen = new Set<number>();
    for (let v = 0; v < 256; v++) {
      const img = { data: new Uint8Array(5 * 3 * 3).fill(v), width: 5, height: 3 };
      const u8 = new Uint8Array(3 * 2 * 3);
      resizeLinearInto(img, 3, 2, u8);
      const f = new Float32Array(u8.length);
      resizeLinearToInput(img, 3, 2, f, 'nhwc', { width: 3, height: 2, left: 0, top: 0 });
      u8.forEach((b, i) => {
        seen.add(b);
        expect(f[i]).toBe(UNIT[b]);
      });
    }
    expect(seen.size).toBe(256);
  });

  it('reuses its memory across sizes: a large image after a small one and back', () => {
    const small = { data: bytes(9 * 7 * 3, 3), width: 9, height: 7 };
    const large = { data: bytes(1500 * 1100 * 3, 4), width: 1500, height: 1100 };
    const want = (img: typeof small, w: number, h: number) => {
      useSimdResize(false);
      const r = resizeLinear(img, w, h).data;
      useSimdResize(true);
      return r;
    };
    for (const [img, w, h] of [[small, 5, 11], [large, 640, 469], [small, 4, 3]] as const) {
      expect(Buffer.from(resizeLinear(img, w, h).data).equals(Buffer.from(want(img, w, h)))).toBe(true);
    }
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
