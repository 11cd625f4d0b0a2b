import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeImage, letterbox, scaleBoxes } from '../src/image';
import { fixture } from './helpers';

describe('decodeImage', () => {
  it('applies EXIF orientation: bus_exif6.jpg comes out upright like bus.jpg', async () => {
    const a = await decodeImage(fixture('images/bus.jpg'));
    const b = await decodeImage(readFileSync(fixture('images/bus_exif6.jpg')));
    expect([a.width, a.height]).toEqual([810, 1080]);
    expect([b.width, b.height]).toEqual([810, 1080]);
    // same scene, same orientation: mean absolute pixel difference is small
    let d = 0;
    for (let i = 0; i < a.data.length; i += 97) d += Math.abs(a.data[i]! - b.data[i]!);
    expect(d / (a.data.length / 97)).toBeLessThan(12);
  });

  it('names the file it cannot decode', async () => {
    await expect(decodeImage(fixture('README.md'))).rejects.toThrow(/README\.md/);
  });
});

describe('letterbox', () => {
  it('follows ultralytics LetterBox sizes and padding (auto and square)', async () => {
    const img = { data: new Uint8Array(1080 * 810 * 3).fill(7), width: 810, height: 1080 };
    const a = await letterbox(img, 640);
    expect([a.width, a.height, a.pad]).toEqual([480, 640, [0, 0]]);
    const s = await letterbox(img, 640, { auto: false });
    expect([s.width, s.height, s.pad]).toEqual([640, 640, [80, 0]]);
    expect(s.data[0]).toBe(114);
    expect(s.data[(10 * 640 + 320) * 3]).toBe(7);
    const odd = await letterbox({ data: new Uint8Array(500 * 375 * 3), width: 500, height: 375 }, 640);
    // r = 1.28: 640x480, dh = 0 → already a multiple of 32
    expect([odd.width, odd.height]).toEqual([640, 480]);
    const t = await letterbox({ data: new Uint8Array(100 * 50 * 3), width: 100, height: 50 }, 96);
    // r = 0.96 → 96x48 → pad 16 vertically... 48 % 32 = 16 → 8 each side
    expect([t.width, t.height, t.pad]).toEqual([96, 64, [0, 8]]);
  });

  it('scaleBoxes inverts the letterbox and clips', () => {
    const b = scaleBoxes([640, 480], Float32Array.from([0, 0, 480, 640, -5, 10, 100, 700]), [1080, 810]);
    expect(Array.from(b.slice(0, 4)).map((v) => Math.round(v))).toEqual([0, 0, 810, 1080]);
    expect(b[4]).toBe(0);
    expect(b[7]).toBe(1080);
  });
});
