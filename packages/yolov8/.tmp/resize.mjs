const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;
function coef(v) {
  const s = v * COEF_SCALE;
  const r = Math.round(s);
  return Math.abs(s % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
function taps(src, dst, clampEdges) {
  const scale = 1 / (dst / src);
  const ofs = new Int32Array(dst);
  const w0 = new Int32Array(dst);
  const w1 = new Int32Array(dst);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clampEdges && s < 0) f = 0, s = 0;
    if (clampEdges && s >= src - 1) f = 0, s = src - 1;
    ofs[d] = s;
    w0[d] = coef(Math.fround(1 - f));
    w1[d] = coef(f);
  }
  return { ofs, w0, w1 };
}
function halve(img, out, outStride, outOffset) {
  const { data, width: sw } = img;
  const dw = sw >> 1;
  const dh = img.height >> 1;
  for (let y = 0; y < dh; y++) {
    const r0 = 2 * y * sw * 3;
    const r1 = r0 + sw * 3;
    const o = outOffset + y * outStride;
    for (let x = 0; x < dw; x++) {
      for (let c = 0; c < 3; c++) {
        const i = 6 * x + c;
        out[o + 3 * x + c] = data[r0 + i] + data[r0 + i + 3] + data[r1 + i] + data[r1 + i + 3] + 2 >> 2;
      }
    }
  }
}
function resizeLinearInto(img, w, h, out, outStride = w * 3, outOffset = 0) {
  const { data, width: sw, height: sh } = img;
  if (!(w > 0 && h > 0 && Number.isInteger(w) && Number.isInteger(h))) throw new Error(`resize: size must be positive integers, got ${w}\xD7${h}`);
  if (w === sw && h === sh) {
    for (let y = 0; y < h; y++) out.set(data.subarray(y * sw * 3, (y + 1) * sw * 3), outOffset + y * outStride);
    return;
  }
  if (sw === 2 * w && sh === 2 * h) return halve(img, out, outStride, outOffset);
  const xt = taps(sw, w, true);
  const yt = taps(sh, h, false);
  const rowLen = w * 3;
  const rows = [new Int32Array(rowLen), new Int32Array(rowLen)];
  const rowOf = [-1, -1];
  const hrow = (sy, buf) => {
    const base = sy * sw * 3;
    for (let x = 0; x < w; x++) {
      const s = base + xt.ofs[x] * 3;
      const a0 = xt.w0[x];
      const a1 = xt.w1[x];
      const s1 = xt.ofs[x] + 1 < sw ? s + 3 : s;
      buf[3 * x] = data[s] * a0 + data[s1] * a1;
      buf[3 * x + 1] = data[s + 1] * a0 + data[s1 + 1] * a1;
      buf[3 * x + 2] = data[s + 2] * a0 + data[s1 + 2] * a1;
    }
  };
  const row = (sy) => {
    if (rowOf[0] === sy) return rows[0];
    if (rowOf[1] === sy) return rows[1];
    const k = rowOf[0] < rowOf[1] ? 0 : 1;
    hrow(sy, rows[k]);
    rowOf[k] = sy;
    return rows[k];
  };
  const simdEnd = rowLen;
  for (let y = 0; y < h; y++) {
    const sy = yt.ofs[y];
    const b0 = yt.w0[y];
    const b1 = yt.w1[y];
    const r0 = row(Math.min(Math.max(sy, 0), sh - 1));
    const r1 = row(Math.min(Math.max(sy + 1, 0), sh - 1));
    const o = outOffset + y * outStride;
    let x = 0;
    for (; x < simdEnd; x++) {
      const v = ((r0[x] >> 4) * b0 >> 16) + ((r1[x] >> 4) * b1 >> 16) + 2;
      out[o + x] = Math.min(Math.max(v >> 2, 0), 255);
    }
    for (; x < rowLen; x++) {
      const v = r0[x] * b0 + r1[x] * b1 + (1 << 21) >> 22;
      out[o + x] = Math.min(Math.max(v, 0), 255);
    }
  }
}
function resizeLinear(img, w, h) {
  const out = new Uint8Array(w * h * 3);
  resizeLinearInto(img, w, h, out);
  return { data: out, width: w, height: h };
}
export {
  resizeLinear,
  resizeLinearInto
};
