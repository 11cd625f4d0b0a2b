;; Strided copies on tfjs-wasm's own heap (its memory is imported) for the Slice, SplitV, Concat and
;; Transpose kernels: tfjs runs the first three in JavaScript (a JS element loop costs ~3 ns per element
;; here, where `rows` copies 16 bytes per instruction) and its Transpose takes ~4.5 ns per element.
;; scripts/build-wasm.mjs compiles it (for shared and unshared memory).
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
)
