import type { Rgb } from './images';
import type { Rng } from './random';
import { resizeLinear } from './resize';
import { letterbox } from '../letterbox';

/** An image with its objects: classes and `x1 y1 x2 y2` boxes in pixels (flat). */
export interface Sample {
  /** The image. */
  img: Rgb;
  /** Class per object. */
  cls: number[];
  /** Boxes, xyxy pixels, flat. */
  boxes: number[];
}

/** Augmentation hyperparameters (ultralytics names and defaults). */
export interface AugmentHyp {
  /** HSV hue gain (0.015). */
  hsv_h: number;
  /** HSV saturation gain (0.7). */
  hsv_s: number;
  /** HSV value gain (0.4). */
  hsv_v: number;
  /** Rotation ± degrees (0). */
  degrees: number;
  /** Translation ± fraction (0.1). */
  translate: number;
  /** Scale ± gain (0.5). */
  scale: number;
  /** Shear ± degrees (0). */
  shear: number;
  /** Perspective (0). */
  perspective: number;
  /** Vertical flip probability (0). */
  flipud: number;
  /** Horizontal flip probability (0.5). */
  fliplr: number;
  /** Mosaic probability (1). */
  mosaic: number;
}

/** ultralytics default augmentation hyperparameters. */
export const DEFAULT_AUGMENT: AugmentHyp = { hsv_h: 0.015, hsv_s: 0.7, hsv_v: 0.4, degrees: 0, translate: 0.1, scale: 0.5, shear: 0, perspective: 0, flipud: 0, fliplr: 0.5, mosaic: 1 };

const PAD = 114;

/** Bilinear resize of an RGB image, bit-exact with cv2.INTER_LINEAR (what ultralytics resizes with). */
export function resizeRgb(img: Rgb, w: number, h: number): Rgb {
  return w === img.width && h === img.height ? img : resizeLinear(img, w, h);
}

/** ultralytics `LetterBox(new_shape, auto=False, scaleup)`: resize to fit, pad with 114, centred; boxes follow. */
export function letterboxSample(s: Sample, newH: number, newW: number, scaleup = true): Sample & { ratio: number; pad: [number, number] } {
  const lb = letterbox(s.img, [newH, newW], { auto: false, scaleup });
  const [left, top] = lb.pad;
  const boxes = s.boxes.map((v, i) => v * lb.ratio + (i % 2 === 0 ? left : top));
  return { img: { data: lb.data, width: lb.width, height: lb.height }, cls: s.cls, boxes, ratio: lb.ratio, pad: lb.pad };
}

/** ultralytics `_mosaic4`: four images around a random centre on a 2s×2s canvas. */
export function mosaic4(samples: Sample[], s: number, rng: Rng): Sample {
  const size = 2 * s;
  const yc = Math.trunc(rng.uniform(s / 2, 1.5 * s));
  const xc = Math.trunc(rng.uniform(s / 2, 1.5 * s));
  const out = new Uint8Array(size * size * 3).fill(PAD);
  const cls: number[] = [];
  const boxes: number[] = [];
  samples.forEach((smp, i) => {
    const { width: w, height: h, data } = smp.img;
    let a: number[];
    let b: number[];
    if (i === 0) {
      a = [Math.max(xc - w, 0), Math.max(yc - h, 0), xc, yc];
      b = [w - (a[2]! - a[0]!), h - (a[3]! - a[1]!), w, h];
    } else if (i === 1) {
      a = [xc, Math.max(yc - h, 0), Math.min(xc + w, size), yc];
      b = [0, h - (a[3]! - a[1]!), Math.min(w, a[2]! - a[0]!), h];
    } else if (i === 2) {
      a = [Math.max(xc - w, 0), yc, xc, Math.min(size, yc + h)];
      b = [w - (a[2]! - a[0]!), 0, w, Math.min(a[3]! - a[1]!, h)];
    } else {
      a = [xc, yc, Math.min(xc + w, size), Math.min(size, yc + h)];
      b = [0, 0, Math.min(w, a[2]! - a[0]!), Math.min(a[3]! - a[1]!, h)];
    }
    const rows = a[3]! - a[1]!;
    const cols = a[2]! - a[0]!;
    for (let y = 0; y < rows; y++) {
      const src = ((b[1]! + y) * w + b[0]!) * 3;
      out.set(data.subarray(src, src + cols * 3), ((a[1]! + y) * size + a[0]!) * 3);
    }
    const padw = a[0]! - b[0]!;
    const padh = a[1]! - b[1]!;
    for (let k = 0; k < smp.cls.length; k++) {
      const x1 = clamp(smp.boxes[4 * k]! + padw, 0, size);
      const y1 = clamp(smp.boxes[4 * k + 1]! + padh, 0, size);
      const x2 = clamp(smp.boxes[4 * k + 2]! + padw, 0, size);
      const y2 = clamp(smp.boxes[4 * k + 3]! + padh, 0, size);
      if (x2 - x1 > 0 && y2 - y1 > 0) {
        cls.push(smp.cls[k]!);
        boxes.push(x1, y1, x2, y2);
      }
    }
  });
  return { img: { data: out, width: size, height: size }, cls, boxes };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/**
 * ultralytics `RandomPerspective` (affine part: rotation, scale, shear, translation about the centre),
 * output `w + 2·border` wide; boxes are transformed by their corners, clipped and filtered by
 * `box_candidates` (wh > 2 px, area kept > 10 %, aspect < 100).
 */
export function randomPerspective(s: Sample, hyp: AugmentHyp, rng: Rng, border = 0): Sample {
  const W = s.img.width + 2 * border;
  const H = s.img.height + 2 * border;
  const deg = rng.uniform(-hyp.degrees, hyp.degrees);
  const sc = rng.uniform(1 - hyp.scale, 1 + hyp.scale);
  const shx = Math.tan((rng.uniform(-hyp.shear, hyp.shear) * Math.PI) / 180);
  const shy = Math.tan((rng.uniform(-hyp.shear, hyp.shear) * Math.PI) / 180);
  const tx = rng.uniform(0.5 - hyp.translate, 0.5 + hyp.translate) * W;
  const ty = rng.uniform(0.5 - hyp.translate, 0.5 + hyp.translate) * H;
  // M = T · S · R · C (no perspective term), as a 2x3 affine.
  const a = (-deg * Math.PI) / 180;
  const [rc, rs] = [Math.cos(a) * sc, Math.sin(a) * sc];
  const R = [rc, -rs, rs, rc];
  const SR = [R[0]! + shx * R[2]!, R[1]! + shx * R[3]!, shy * R[0]! + R[2]!, shy * R[1]! + R[3]!];
  const cx = -s.img.width / 2;
  const cy = -s.img.height / 2;
  const M = [SR[0]!, SR[1]!, SR[0]! * cx + SR[1]! * cy + tx, SR[2]!, SR[3]!, SR[2]! * cx + SR[3]! * cy + ty];
  const img = warpAffine(s.img, M, W, H);
  const cls: number[] = [];
  const boxes: number[] = [];
  const tr = (x: number, y: number): [number, number] => [M[0]! * x + M[1]! * y + M[2]!, M[3]! * x + M[4]! * y + M[5]!];
  for (let k = 0; k < s.cls.length; k++) {
    const [x1, y1, x2, y2] = [s.boxes[4 * k]!, s.boxes[4 * k + 1]!, s.boxes[4 * k + 2]!, s.boxes[4 * k + 3]!];
    const pts = [tr(x1, y1), tr(x2, y1), tr(x1, y2), tr(x2, y2)];
    const nx1 = clamp(Math.min(...pts.map((p) => p[0])), 0, W);
    const ny1 = clamp(Math.min(...pts.map((p) => p[1])), 0, H);
    const nx2 = clamp(Math.max(...pts.map((p) => p[0])), 0, W);
    const ny2 = clamp(Math.max(...pts.map((p) => p[1])), 0, H);
    const w1 = (x2 - x1) * sc;
    const h1 = (y2 - y1) * sc;
    const w2 = nx2 - nx1;
    const h2 = ny2 - ny1;
    const ar = Math.max(w2 / (h2 + 1e-16), h2 / (w2 + 1e-16));
    if (w2 > 2 && h2 > 2 && (w2 * h2) / (w1 * h1 + 1e-16) > 0.1 && ar < 100) {
      cls.push(s.cls[k]!);
      boxes.push(nx1, ny1, nx2, ny2);
    }
  }
  return { img, cls, boxes };
}

/** cv2.warpAffine (bilinear, constant border 114) with forward matrix `M` (2x3, row-major). */
function warpAffine(img: Rgb, M: number[], W: number, H: number): Rgb {
  const det = M[0]! * M[4]! - M[1]! * M[3]!;
  const i0 = M[4]! / det;
  const i1 = -M[1]! / det;
  const i3 = -M[3]! / det;
  const i4 = M[0]! / det;
  const i2 = -(i0 * M[2]! + i1 * M[5]!);
  const i5 = -(i3 * M[2]! + i4 * M[5]!);
  const out = new Uint8Array(W * H * 3);
  const { width: w, height: h, data } = img;
  const px = (x: number, y: number, c: number) => (x >= 0 && y >= 0 && x < w && y < h ? data[(y * w + x) * 3 + c]! : PAD);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const sx = i0 * x + i1 * y + i2;
      const sy = i3 * x + i4 * y + i5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * W + x) * 3;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        // All four neighbours inside (most pixels): the same arithmetic without per-tap bounds checks.
        const a = (y0 * w + x0) * 3;
        const b = a + w * 3;
        for (let c = 0; c < 3; c++) {
          const top = data[a + c]! * (1 - fx) + data[a + 3 + c]! * fx;
          const bot = data[b + c]! * (1 - fx) + data[b + 3 + c]! * fx;
          out[o + c] = Math.round(top * (1 - fy) + bot * fy);
        }
        continue;
      }
      for (let c = 0; c < 3; c++) {
        const top = px(x0, y0, c) * (1 - fx) + px(x0 + 1, y0, c) * fx;
        const bot = px(x0, y0 + 1, c) * (1 - fx) + px(x0 + 1, y0 + 1, c) * fx;
        out[o + c] = Math.round(top * (1 - fy) + bot * fy);
      }
    }
  }
  return { data: out, width: W, height: H };
}

/** ultralytics `RandomHSV`: multiplies hue, saturation and value by random gains via LUTs (OpenCV 8-bit HSV). */
export function randomHsv(img: Rgb, hyp: AugmentHyp, rng: Rng): void {
  const r = [hyp.hsv_h, hyp.hsv_s, hyp.hsv_v].map((g) => rng.uniform(-1, 1) * g + 1);
  if (!hyp.hsv_h && !hyp.hsv_s && !hyp.hsv_v) return;
  const lutH = new Uint8Array(256);
  const lutS = new Uint8Array(256);
  const lutV = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    lutH[x] = Math.trunc((x * r[0]!) % 180);
    lutS[x] = Math.trunc(clamp(x * r[1]!, 0, 255));
    lutV[x] = Math.trunc(clamp(x * r[2]!, 0, 255));
  }
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) {
    const R = d[i]!;
    const G = d[i + 1]!;
    const B = d[i + 2]!;
    const v = Math.max(R, G, B);
    const mn = Math.min(R, G, B);
    const diff = v - mn;
    const s = v === 0 ? 0 : Math.round((255 * diff) / v);
    let hd = 0;
    if (diff) hd = v === R ? (60 * (G - B)) / diff : v === G ? 120 + (60 * (B - R)) / diff : 240 + (60 * (R - G)) / diff;
    if (hd < 0) hd += 360;
    const h = Math.round(hd / 2) % 180;
    const H2 = lutH[h]! * 2;
    const S = lutS[s]! / 255;
    const V = lutV[v]!;
    const C = V * S;
    const X = C * (1 - Math.abs(((H2 / 60) % 2) - 1));
    const m = V - C;
    // Sector of the hue circle: which of R, G, B get C, X and 0 (no per-pixel arrays: this loop is hot).
    const seg = Math.floor(H2 / 60) % 6;
    const c = Math.round(C + m);
    const x = Math.round(X + m);
    const z = Math.round(m);
    d[i] = seg === 0 || seg === 5 ? c : seg === 1 || seg === 4 ? x : z;
    d[i + 1] = seg === 1 || seg === 2 ? c : seg === 0 || seg === 3 ? x : z;
    d[i + 2] = seg === 3 || seg === 4 ? c : seg === 2 || seg === 5 ? x : z;
  }
}

/** Horizontal (`lr`) or vertical flip of image and boxes, in place. */
export function flip(s: Sample, lr: boolean): void {
  const { width: w, height: h, data } = s.img;
  const row = new Uint8Array(w * 3);
  if (lr) {
    for (let y = 0; y < h; y++) {
      row.set(data.subarray(y * w * 3, (y + 1) * w * 3));
      for (let x = 0, o = y * w * 3, src = (w - 1) * 3; x < w; x++, o += 3, src -= 3) {
        data[o] = row[src]!;
        data[o + 1] = row[src + 1]!;
        data[o + 2] = row[src + 2]!;
      }
    }
    for (let k = 0; k < s.cls.length; k++) [s.boxes[4 * k], s.boxes[4 * k + 2]] = [w - s.boxes[4 * k + 2]!, w - s.boxes[4 * k]!];
  } else {
    for (let y = 0; y < h >> 1; y++) {
      const a = y * w * 3;
      const b = (h - 1 - y) * w * 3;
      row.set(data.subarray(a, a + w * 3));
      data.copyWithin(a, b, b + w * 3);
      data.set(row, b);
    }
    for (let k = 0; k < s.cls.length; k++) [s.boxes[4 * k + 1], s.boxes[4 * k + 3]] = [h - s.boxes[4 * k + 3]!, h - s.boxes[4 * k + 1]!];
  }
}

/**
 * The ultralytics v8 training pipeline for one sample: mosaic (probability `mosaic`, needs the three
 * extra samples) or letterbox, random affine, HSV, flips. Output is `imgsz`×`imgsz`.
 */
export function augment(main: Sample, others: () => Sample[], imgsz: number, hyp: AugmentHyp, rng: Rng): Sample {
  let s: Sample;
  if (hyp.mosaic > 0 && rng.random() < hyp.mosaic) {
    s = randomPerspective(mosaic4([main, ...others()], imgsz, rng), hyp, rng, -imgsz / 2);
  } else {
    s = randomPerspective(letterboxSample(main, imgsz, imgsz, false), hyp, rng, 0);
  }
  randomHsv(s.img, hyp, rng);
  if (rng.random() < hyp.flipud) flip(s, false);
  if (rng.random() < hyp.fliplr) flip(s, true);
  return s;
}
