;; Kernels on tfjs-wasm's own heap (its memory is imported). Strided copies for the Slice, SplitV, Concat
;; and Transpose kernels: tfjs runs the first three in JavaScript (a JS element loop costs ~3 ns per element
;; here, where `rows` copies 16 bytes per instruction) and its Transpose takes ~4.5 ns per element. And the
;; optimiser updates in one pass over each parameter, where tf ops take 6–13 passes (a training step's
;; optimiser otherwise costs ~80 ms for yolov8n). scripts/build-wasm.mjs compiles it (shared and unshared memory);
;; layer-kernels.wat holds the layer kernels (a second module: each stays under browsers' 4 KB limit for
;; synchronous compilation).
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; Copies `rows` runs of `bytes` bytes from `src + r·srcStride` to `dst + r·dstStride`.
  (func (export "rows")
    (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32) (param $bytes i32) (param $rows i32)
    (local $i i32) (local $body i32)
    ;; The part of a run that 16-byte vectors cover; memory.copy takes the tail.
    (local.set $body (i32.and (local.get $bytes) (i32.const -16)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $i (i32.const 0))
        (block $vectorsDone
          (loop $vector
            (br_if $vectorsDone (i32.ge_u (local.get $i) (local.get $body)))
            (v128.store (i32.add (local.get $dst) (local.get $i)) (v128.load (i32.add (local.get $src) (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $vector)))
        (memory.copy
          (i32.add (local.get $dst) (local.get $body))
          (i32.add (local.get $src) (local.get $body))
          (i32.sub (local.get $bytes) (local.get $body)))
        (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))
;; `count` times (stepping `src`/`dst` by `srcStep`/`dstStep` bytes): the `rows`×`cols` matrix of
  ;; 4-byte elements at `src` (rows `srcStride` bytes apart) written transposed at `dst` (rows of the
  ;; result `dstStride` bytes apart). Eight source rows at a time, so each write fills 32 contiguous bytes.
  (func (export "transpose")
    (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32) (param $rows i32) (param $cols i32)
    (param $count i32) (param $srcStep i32) (param $dstStep i32)
    (local $i0 i32) (local $tile i32) (local $j i32) (local $k i32) (local $s i32) (local $d i32)
    (block $blocksDone
      (loop $block
        (br_if $blocksDone (i32.eqz (local.get $count)))
        (local.set $i0 (i32.const 0))
        (block $tilesDone
          (loop $tileLoop
            (br_if $tilesDone (i32.ge_u (local.get $i0) (local.get $rows)))
            (local.set $tile (i32.sub (local.get $rows) (local.get $i0)))
            (if (i32.gt_u (local.get $tile) (i32.const 8)) (then (local.set $tile (i32.const 8))))
            (local.set $j (i32.const 0))
            (block $colsDone
              (loop $col
                (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols)))
                (local.set $s (i32.add (local.get $src) (i32.add (i32.mul (local.get $i0) (local.get $srcStride)) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $d (i32.add (local.get $dst) (i32.add (i32.mul (local.get $j) (local.get $dstStride)) (i32.shl (local.get $i0) (i32.const 2)))))
                (local.set $k (local.get $tile))
                (loop $element
                  (i32.store (local.get $d) (i32.load (local.get $s)))
                  (local.set $s (i32.add (local.get $s) (local.get $srcStride)))
                  (local.set $d (i32.add (local.get $d) (i32.const 4)))
                  (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                  (br_if $element (local.get $k)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $col)))
            (local.set $i0 (i32.add (local.get $i0) (i32.const 8)))
            (br $tileLoop)))
        (local.set $src (i32.add (local.get $src) (local.get $srcStep)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStep)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $block))))

  ;; AdamW (PyTorch's order of operations, each rounded to f32 as tf ops round them) over `n` floats:
  ;;   g = g·coef; p = p·decay; m = m·b1 + g·c1; v = v·b2 + (g·g)·c2; p = p − (m / (√v / sbc2 + eps))·step
  ;; writing the new p, m and v to `po`, `mo`, `vo`.
  (func (export "adamw")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $po i32) (param $mo i32) (param $vo i32) (param $n i32)
    (param $coef f32) (param $decay f32) (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $sbc2 f32) (param $eps f32) (param $step f32)
    (local $o i32) (local $end i32) (local $body i32)
    (local $G v128) (local $M v128) (local $V v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $body (i32.and (local.get $end) (i32.const -16)))
    (block $vectorsDone
      (loop $vector
        (br_if $vectorsDone (i32.ge_u (local.get $o) (local.get $body)))
        (local.set $G (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $o))) (f32x4.splat (local.get $coef))))
        (local.set $M (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (f32x4.splat (local.get $b1)))
          (f32x4.mul (local.get $G) (f32x4.splat (local.get $c1)))))
        (local.set $V (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (f32x4.splat (local.get $b2)))
          (f32x4.mul (f32x4.mul (local.get $G) (local.get $G)) (f32x4.splat (local.get $c2)))))
        (v128.store (i32.add (local.get $mo) (local.get $o)) (local.get $M))
        (v128.store (i32.add (local.get $vo) (local.get $o)) (local.get $V))
        (v128.store (i32.add (local.get $po) (local.get $o))
          (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $o))) (f32x4.splat (local.get $decay)))
            (f32x4.mul
              (f32x4.div (local.get $M)
                (f32x4.add (f32x4.div (f32x4.sqrt (local.get $V)) (f32x4.splat (local.get $sbc2))) (f32x4.splat (local.get $eps))))
              (f32x4.splat (local.get $step)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vector)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gs (f32.mul (f32.load (i32.add (local.get $g) (local.get $o))) (local.get $coef)))
        (local.set $ms (f32.add
          (f32.mul (f32.load (i32.add (local.get $m) (local.get $o))) (local.get $b1))
          (f32.mul (local.get $gs) (local.get $c1))))
        (local.set $vs (f32.add
          (f32.mul (f32.load (i32.add (local.get $v) (local.get $o))) (local.get $b2))
          (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $c2))))
        (f32.store (i32.add (local.get $mo) (local.get $o)) (local.get $ms))
        (f32.store (i32.add (local.get $vo) (local.get $o)) (local.get $vs))
        (f32.store (i32.add (local.get $po) (local.get $o))
          (f32.sub
            (f32.mul (f32.load (i32.add (local.get $p) (local.get $o))) (local.get $decay))
            (f32.mul
              (f32.div (local.get $ms) (f32.add (f32.div (f32.sqrt (local.get $vs)) (local.get $sbc2)) (local.get $eps)))
              (local.get $step))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $tail))))

  ;; SGD with Nesterov momentum (PyTorch's order, f32 rounding as tf ops) over `n` floats:
  ;;   g = g·coef; d = g + p·wd; b = b·mom + d; p = p − (d + b·mom)·lr
  ;; writing the new p and b to `po`, `bo`. A zero momentum buffer gives PyTorch's first step (b = d).
  (func (export "sgd")
    (param $p i32) (param $g i32) (param $b i32) (param $po i32) (param $bo i32) (param $n i32)
    (param $coef f32) (param $wd f32) (param $mom f32) (param $lr f32)
    (local $o i32) (local $end i32) (local $body i32)
    (local $P v128) (local $D v128) (local $B v128)
    (local $ps f32) (local $ds f32) (local $bs f32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $body (i32.and (local.get $end) (i32.const -16)))
    (block $vectorsDone
      (loop $vector
        (br_if $vectorsDone (i32.ge_u (local.get $o) (local.get $body)))
        (local.set $P (v128.load (i32.add (local.get $p) (local.get $o))))
        (local.set $D (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $o))) (f32x4.splat (local.get $coef)))
          (f32x4.mul (local.get $P) (f32x4.splat (local.get $wd)))))
        (local.set $B (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $b) (local.get $o))) (f32x4.splat (local.get $mom))) (local.get $D)))
        (v128.store (i32.add (local.get $bo) (local.get $o)) (local.get $B))
        (v128.store (i32.add (local.get $po) (local.get $o))
          (f32x4.sub (local.get $P)
            (f32x4.mul (f32x4.add (local.get $D) (f32x4.mul (local.get $B) (f32x4.splat (local.get $mom)))) (f32x4.splat (local.get $lr)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vector)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $ps (f32.load (i32.add (local.get $p) (local.get $o))))
        (local.set $ds (f32.add
          (f32.mul (f32.load (i32.add (local.get $g) (local.get $o))) (local.get $coef))
          (f32.mul (local.get $ps) (local.get $wd))))
        (local.set $bs (f32.add (f32.mul (f32.load (i32.add (local.get $b) (local.get $o))) (local.get $mom)) (local.get $ds)))
        (f32.store (i32.add (local.get $bo) (local.get $o)) (local.get $bs))
        (f32.store (i32.add (local.get $po) (local.get $o))
          (f32.sub (local.get $ps) (f32.mul (f32.add (local.get $ds) (f32.mul (local.get $bs) (local.get $mom))) (local.get $lr))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $tail))))
)
