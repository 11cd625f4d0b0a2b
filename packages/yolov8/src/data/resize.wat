;; cv2's INTER_LINEAR resize of 8-bit RGB with 128-bit SIMD, bit-identical to resize.ts's JavaScript
;; kernels (which are checked against cv2). The module owns its memory; resize-simd.ts copies the image
;; in, writes the tap tables, and copies the rows out. ../../../../scripts/build-wasm.mjs compiles it.
;; A pixel is one i32x4 [R, G, B, 0]: 4x fewer operations than the per-channel JavaScript loops.
(module
  (memory (export "memory") 1)

  ;; One horizontally resized row: buf[x] = src[xo[x]]·u + src[xo[x] + 3]·v per channel, (u, v) = xab[x]
  ;; as two i16 (sums scaled by 2^11, cv2's HResizeLinear). The 6 bytes of both taps are swizzled into
  ;; i16 pairs (R0 R1 G0 G1 B0 B1 0 0) and one dot product gives the three sums. At the right edge v is 0,
  ;; so the second tap may read past the row (the image carries 16 bytes of slack).
  (func $hrow (param $src i32) (param $xo i32) (param $xab i32) (param $w i32) (param $buf i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $buf) (i32.shl (local.get $w) (i32.const 4))))
    (block $done
      (loop $px
        (br_if $done (i32.ge_u (local.get $buf) (local.get $end)))
        (v128.store (local.get $buf)
          (i32x4.dot_i16x8_s
            (i8x16.swizzle
              (v128.load64_zero (i32.add (local.get $src) (i32.load (local.get $xo))))
              (v128.const i8x16 0 -1 3 -1 1 -1 4 -1 2 -1 5 -1 -1 -1 -1 -1))
            (v128.load32_splat (local.get $xab))))
        (local.set $buf (i32.add (local.get $buf) (i32.const 16)))
        (local.set $xo (i32.add (local.get $xo) (i32.const 4)))
        (local.set $xab (i32.add (local.get $xab) (i32.const 4)))
        (br $px))))

  ;; cv2's VResizeLinearVec_32s8u on one pixel: ((a >> 4)·b0 >> 16) + ((b >> 4)·b1 >> 16), then (+2) >> 2.
  (func $mix (param $a v128) (param $b v128) (param $B0 v128) (param $B1 v128) (result v128)
    (i32x4.shr_s
      (i32x4.add
        (i32x4.add
          (i32x4.shr_s (i32x4.mul (i32x4.shr_s (local.get $a) (i32.const 4)) (local.get $B0)) (i32.const 16))
          (i32x4.shr_s (i32x4.mul (i32x4.shr_s (local.get $b) (i32.const 4)) (local.get $B1)) (i32.const 16)))
        (v128.const i32x4 2 2 2 2))
      (i32.const 2)))

  ;; One output row from two resized rows: mode 0 bytes (HWC), 1 float32 byte/255 HWC, 2 float32 planar
  ;; (`plane` bytes between channels). Vector stores run one value past a pixel; the next pixel overwrites
  ;; it, and the output carries 4 bytes of slack after its last row.
  (func $vrow (param $ra i32) (param $rb i32) (param $b0 i32) (param $b1 i32) (param $w i32) (param $out i32) (param $mode i32) (param $plane i32)
    (local $end i32) (local $B0 v128) (local $B1 v128) (local $r v128) (local $f v128)
    (local.set $B0 (i32x4.splat (local.get $b0)))
    (local.set $B1 (i32x4.splat (local.get $b1)))
    (local.set $end (i32.add (local.get $ra) (i32.shl (local.get $w) (i32.const 4))))
    (if (i32.eqz (local.get $mode)) (then
      (block $done
        (loop $px
          (br_if $done (i32.ge_u (local.get $ra) (local.get $end)))
          (local.set $r (call $mix (v128.load (local.get $ra)) (v128.load (local.get $rb)) (local.get $B0) (local.get $B1)))
          (local.set $r (i16x8.narrow_i32x4_s (local.get $r) (local.get $r)))
          (v128.store32_lane 0 (local.get $out) (i8x16.narrow_i16x8_u (local.get $r) (local.get $r)))
          (local.set $ra (i32.add (local.get $ra) (i32.const 16)))
          (local.set $rb (i32.add (local.get $rb) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 3)))
          (br $px)))
      (return)))
    (if (i32.eq (local.get $mode) (i32.const 1)) (then
      (block $done
        (loop $px
          (br_if $done (i32.ge_u (local.get $ra) (local.get $end)))
          (local.set $r (call $mix (v128.load (local.get $ra)) (v128.load (local.get $rb)) (local.get $B0) (local.get $B1)))
          (v128.store (local.get $out) (f32x4.div (f32x4.convert_i32x4_s (local.get $r)) (v128.const f32x4 255 255 255 255)))
          (local.set $ra (i32.add (local.get $ra) (i32.const 16)))
          (local.set $rb (i32.add (local.get $rb) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 12)))
          (br $px)))
      (return)))
    (block $done
      (loop $px
        (br_if $done (i32.ge_u (local.get $ra) (local.get $end)))
        (local.set $r (call $mix (v128.load (local.get $ra)) (v128.load (local.get $rb)) (local.get $B0) (local.get $B1)))
        (local.set $f (f32x4.div (f32x4.convert_i32x4_s (local.get $r)) (v128.const f32x4 255 255 255 255)))
        (v128.store32_lane 0 (local.get $out) (local.get $f))
        (v128.store32_lane 1 (i32.add (local.get $out) (local.get $plane)) (local.get $f))
        (v128.store32_lane 2 (i32.add (local.get $out) (i32.shl (local.get $plane) (i32.const 1))) (local.get $f))
        (local.set $ra (i32.add (local.get $ra) (i32.const 16)))
        (local.set $rb (i32.add (local.get $rb) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $px))))

  ;; The whole resize: yt holds per output row [byte offset of source row y0, of row y1, weight b0, b1].
  ;; Two resized source rows stay live, as cv2 keeps them: rows are visited in increasing order.
  (func (export "resize") (param $src i32) (param $w i32) (param $h i32) (param $xo i32) (param $xab i32) (param $yt i32)
      (param $ra i32) (param $rb i32) (param $out i32) (param $mode i32) (param $rowBytes i32) (param $plane i32)
    (local $y i32) (local $o0 i32) (local $o1 i32) (local $ya i32) (local $yb i32) (local $t i32)
    (local.set $ya (i32.const -1))
    (local.set $yb (i32.const -1))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $y) (local.get $h)))
        (local.set $o0 (i32.load (local.get $yt)))
        (local.set $o1 (i32.load offset=4 (local.get $yt)))
        (if (i32.ne (local.get $ya) (local.get $o0)) (then
          (if (i32.eq (local.get $yb) (local.get $o0))
            (then
              (local.set $t (local.get $ra))
              (local.set $ra (local.get $rb))
              (local.set $rb (local.get $t))
              (local.set $yb (i32.const -1)))
            (else (call $hrow (i32.add (local.get $src) (local.get $o0)) (local.get $xo) (local.get $xab) (local.get $w) (local.get $ra))))
          (local.set $ya (local.get $o0))))
        (if (i32.ne (local.get $yb) (local.get $o1)) (then
          (if (i32.eq (local.get $o1) (local.get $o0))
            (then (memory.copy (local.get $rb) (local.get $ra) (i32.shl (local.get $w) (i32.const 4))))
            (else (call $hrow (i32.add (local.get $src) (local.get $o1)) (local.get $xo) (local.get $xab) (local.get $w) (local.get $rb))))
          (local.set $yb (local.get $o1))))
        (call $vrow (local.get $ra) (local.get $rb) (i32.load offset=8 (local.get $yt)) (i32.load offset=12 (local.get $yt))
          (local.get $w) (local.get $out) (local.get $mode) (local.get $plane))
        (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
        (local.set $yt (i32.add (local.get $yt) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $row))))
)
