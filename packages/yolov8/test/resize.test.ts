import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resizeLinear } from '../src/data/resize';

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
