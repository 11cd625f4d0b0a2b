;; Layer kernels on tfjs-wasm's own heap (its memory is imported), beside heap-kernels.wat: train-mode
;; BatchNorm, SiLU's gradient and max pooling's gradient, each in fewer passes over the activations than
;; the tf ops (or faster than a JavaScript loop). scripts/build-wasm.mjs compiles it (shared and unshared memory).
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; ---- Train-mode BatchNorm and SiLU's gradient over channels-last [k, c] data ----
  ;; tf ops need 5 passes over the activations for BN's forward, 6 for its backward and 4 for SiLU's
  ;; backward, plus a dozen per-channel ops per layer; these take 3, 2 and 1. Column sums run over chunks
  ;; of 256 rows that are then added to the total (a sequential float32 sum over 200k rows drifts).

  ;; part[j] += x[r·c + j] − mu[j] for r < rows, j < c.
  (func $devRows (param $x i32) (param $mu i32) (param $rows i32) (param $c i32) (param $part i32)
    (local $j i32) (local $end i32) (local $body i32) (local $D v128) (local $d f32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $body (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vd
          (loop $v
            (br_if $vd (i32.ge_u (local.get $j) (local.get $body)))
            (local.set $D (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (v128.load (i32.add (local.get $mu) (local.get $j)))))
            (v128.store (i32.add (local.get $part) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $part) (local.get $j))) (local.get $D)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $v)))
        (block $td
          (loop $t
            (br_if $td (i32.ge_u (local.get $j) (local.get $end)))
            (local.set $d (f32.sub (f32.load (i32.add (local.get $x) (local.get $j))) (f32.load (i32.add (local.get $mu) (local.get $j)))))
            (f32.store (i32.add (local.get $part) (local.get $j))
              (f32.add (f32.load (i32.add (local.get $part) (local.get $j))) (local.get $d)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $t)))
        (local.set $x (i32.add (local.get $x) (local.get $end)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; part[j] += (x[r·c + j] − mu[j])² for r < rows, j < c.
  (func $sqDevRows (param $x i32) (param $mu i32) (param $rows i32) (param $c i32) (param $part i32)
    (local $j i32) (local $end i32) (local $body i32) (local $D v128) (local $d f32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $body (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vd
          (loop $v
            (br_if $vd (i32.ge_u (local.get $j) (local.get $body)))
            (local.set $D (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (v128.load (i32.add (local.get $mu) (local.get $j)))))
            (v128.store (i32.add (local.get $part) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $part) (local.get $j))) (f32x4.mul (local.get $D) (local.get $D))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $v)))
        (block $td
          (loop $t
            (br_if $td (i32.ge_u (local.get $j) (local.get $end)))
            (local.set $d (f32.sub (f32.load (i32.add (local.get $x) (local.get $j))) (f32.load (i32.add (local.get $mu) (local.get $j)))))
            (f32.store (i32.add (local.get $part) (local.get $j))
              (f32.add (f32.load (i32.add (local.get $part) (local.get $j))) (f32.mul (local.get $d) (local.get $d))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $t)))
        (local.set $x (i32.add (local.get $x) (local.get $end)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; p1[j] += dy[r·c + j] and p2[j] += dy[r·c + j]·(x[r·c + j] − mu[j]) for r < rows, j < c.
  (func $dyRows (param $dy i32) (param $x i32) (param $mu i32) (param $rows i32) (param $c i32) (param $p1 i32) (param $p2 i32)
    (local $j i32) (local $end i32) (local $body i32) (local $G v128) (local $g f32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $body (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vd
          (loop $v
            (br_if $vd (i32.ge_u (local.get $j) (local.get $body)))
            (local.set $G (v128.load (i32.add (local.get $dy) (local.get $j))))
            (v128.store (i32.add (local.get $p1) (local.get $j)) (f32x4.add (v128.load (i32.add (local.get $p1) (local.get $j))) (local.get $G)))
            (v128.store (i32.add (local.get $p2) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $p2) (local.get $j)))
                (f32x4.mul (local.get $G) (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (v128.load (i32.add (local.get $mu) (local.get $j)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $v)))
        (block $td
          (loop $t
            (br_if $td (i32.ge_u (local.get $j) (local.get $end)))
            (local.set $g (f32.load (i32.add (local.get $dy) (local.get $j))))
            (f32.store (i32.add (local.get $p1) (local.get $j)) (f32.add (f32.load (i32.add (local.get $p1) (local.get $j))) (local.get $g)))
            (f32.store (i32.add (local.get $p2) (local.get $j))
              (f32.add (f32.load (i32.add (local.get $p2) (local.get $j)))
                (f32.mul (local.get $g) (f32.sub (f32.load (i32.add (local.get $x) (local.get $j))) (f32.load (i32.add (local.get $mu) (local.get $j)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $t)))
        (local.set $dy (i32.add (local.get $dy) (local.get $end)))
        (local.set $x (i32.add (local.get $x) (local.get $end)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; total[j] += part[j]; part[j] = 0 (j < c).
  (func $flush (param $part i32) (param $total i32) (param $c i32)
    (local $o i32) (local $end i32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $total) (local.get $o))
          (f32.add (f32.load (i32.add (local.get $total) (local.get $o))) (f32.load (i32.add (local.get $part) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $l)))
    (memory.fill (local.get $part) (i32.const 0) (local.get $end)))

  ;; out[j] = out[j] / k (j < c).
  (func $divide (param $out i32) (param $c i32) (param $k i32)
    (local $o i32) (local $end i32) (local $kf f32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $kf (f32.convert_i32_u (local.get $k)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $out) (local.get $o)) (f32.div (f32.load (i32.add (local.get $out) (local.get $o))) (local.get $kf)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $l))))

  ;; Train-mode BatchNorm over `k` rows of `c` channels at `x`: mean and (biased) var per channel, then
  ;;   y = (x − mean)·(gamma / √(var + eps)) + beta.
  ;; `scratch` holds c floats (partial sums, then the scale).
  (func (export "bnForward")
    (param $x i32) (param $k i32) (param $c i32) (param $gamma i32) (param $beta i32) (param $eps f32)
    (param $y i32) (param $mean i32) (param $var i32) (param $scratch i32)
    (local $r i32) (local $n i32) (local $rowBytes i32) (local $o i32) (local $body i32)
    (local $xi i32) (local $yi i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $body (i32.and (local.get $rowBytes) (i32.const -16)))
    (memory.fill (local.get $scratch) (i32.const 0) (local.get $rowBytes))
    (memory.fill (local.get $mean) (i32.const 0) (local.get $rowBytes))
    (memory.fill (local.get $var) (i32.const 0) (local.get $rowBytes))
    (local.set $r (i32.const 0))
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $r) (local.get $k)))
        (local.set $n (i32.sub (local.get $k) (local.get $r)))
        (if (i32.gt_u (local.get $n) (i32.const 256)) (then (local.set $n (i32.const 256))))
        (call $devRows (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rowBytes))) (local.get $x) (local.get $n) (local.get $c) (local.get $scratch))
        (call $flush (local.get $scratch) (local.get $mean) (local.get $c))
        (local.set $r (i32.add (local.get $r) (local.get $n)))
        (br $chunk)))
    ;; mean = x[0] + Σ(x − x[0])/k: sums of deviations from the first row keep their precision when the
    ;; mean is large against the spread (a plain float32 sum of k values near 3 is off by a few ulp of 3k).
    (call $divide (local.get $mean) (local.get $c) (local.get $k))
    (block $md
      (loop $ml
        (br_if $md (i32.ge_u (local.get $o) (local.get $rowBytes)))
        (f32.store (i32.add (local.get $mean) (local.get $o))
          (f32.add (f32.load (i32.add (local.get $x) (local.get $o))) (f32.load (i32.add (local.get $mean) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $ml)))
    (local.set $r (i32.const 0))
    (block $done2
      (loop $chunk2
        (br_if $done2 (i32.ge_u (local.get $r) (local.get $k)))
        (local.set $n (i32.sub (local.get $k) (local.get $r)))
        (if (i32.gt_u (local.get $n) (i32.const 256)) (then (local.set $n (i32.const 256))))
        (call $sqDevRows (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rowBytes))) (local.get $mean) (local.get $n) (local.get $c) (local.get $scratch))
        (call $flush (local.get $scratch) (local.get $var) (local.get $c))
        (local.set $r (i32.add (local.get $r) (local.get $n)))
        (br $chunk2)))
    (call $divide (local.get $var) (local.get $c) (local.get $k))
    ;; scratch = gamma / √(var + eps)
    (local.set $o (i32.const 0))
    (block $sd
      (loop $s
        (br_if $sd (i32.ge_u (local.get $o) (local.get $rowBytes)))
        (f32.store (i32.add (local.get $scratch) (local.get $o))
          (f32.div (f32.load (i32.add (local.get $gamma) (local.get $o)))
            (f32.sqrt (f32.add (f32.load (i32.add (local.get $var) (local.get $o))) (local.get $eps)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $s)))
    (local.set $xi (local.get $x))
    (local.set $yi (local.get $y))
    (local.set $r (local.get $k))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.eqz (local.get $r)))
        (local.set $j (i32.const 0))
        (block $vd
          (loop $v
            (br_if $vd (i32.ge_u (local.get $j) (local.get $body)))
            (v128.store (i32.add (local.get $yi) (local.get $j))
              (f32x4.add
                (f32x4.mul
                  (f32x4.sub (v128.load (i32.add (local.get $xi) (local.get $j))) (v128.load (i32.add (local.get $mean) (local.get $j))))
                  (v128.load (i32.add (local.get $scratch) (local.get $j))))
                (v128.load (i32.add (local.get $beta) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $v)))
        (block $td
          (loop $t
            (br_if $td (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (f32.store (i32.add (local.get $yi) (local.get $j))
              (f32.add
                (f32.mul
                  (f32.sub (f32.load (i32.add (local.get $xi) (local.get $j))) (f32.load (i32.add (local.get $mean) (local.get $j))))
                  (f32.load (i32.add (local.get $scratch) (local.get $j))))
                (f32.load (i32.add (local.get $beta) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $t)))
        (local.set $xi (i32.add (local.get $xi) (local.get $rowBytes)))
        (local.set $yi (i32.add (local.get $yi) (local.get $rowBytes)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Train-mode BatchNorm's gradient (x̂ = (x − mean)·inv, inv = 1/√(var + eps), sums over the k rows):
  ;;   dbeta = Σdy; dgamma = Σdy·x̂;
  ;;   dx = dy·a + ((x − mean)·b + d) with a = inv·gamma, b = −a·(((Σdy·(x − mean))/k)·inv·inv), d = −a·(Σdy/k).
  ;; `scratch` holds 3c floats (partial sums, then a, b, d).
  (func (export "bnBackward")
    (param $dy i32) (param $x i32) (param $mean i32) (param $var i32) (param $gamma i32) (param $eps f32) (param $k i32) (param $c i32)
    (param $dx i32) (param $dgamma i32) (param $dbeta i32) (param $scratch i32)
    (local $r i32) (local $n i32) (local $rowBytes i32) (local $off i32) (local $o i32) (local $body i32) (local $j i32)
    (local $pa i32) (local $pb i32) (local $pd i32) (local $kf f32) (local $inv f32) (local $a f32) (local $dyi i32) (local $xi i32) (local $dxi i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $body (i32.and (local.get $rowBytes) (i32.const -16)))
    (local.set $pa (local.get $scratch))
    (local.set $pb (i32.add (local.get $scratch) (local.get $rowBytes)))
    (local.set $pd (i32.add (local.get $pb) (local.get $rowBytes)))
    (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $rowBytes) (i32.const 1)))
    (memory.fill (local.get $dgamma) (i32.const 0) (local.get $rowBytes))
    (memory.fill (local.get $dbeta) (i32.const 0) (local.get $rowBytes))
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $r) (local.get $k)))
        (local.set $n (i32.sub (local.get $k) (local.get $r)))
        (if (i32.gt_u (local.get $n) (i32.const 256)) (then (local.set $n (i32.const 256))))
        (local.set $off (i32.mul (local.get $r) (local.get $rowBytes)))
        (call $dyRows (i32.add (local.get $dy) (local.get $off)) (i32.add (local.get $x) (local.get $off)) (local.get $mean)
          (local.get $n) (local.get $c) (local.get $pa) (local.get $pb))
        (call $flush (local.get $pa) (local.get $dbeta) (local.get $c))
        (call $flush (local.get $pb) (local.get $dgamma) (local.get $c))
        (local.set $r (i32.add (local.get $r) (local.get $n)))
        (br $chunk)))
    (local.set $kf (f32.convert_i32_u (local.get $k)))
    (block $cd
      (loop $ch
        (br_if $cd (i32.ge_u (local.get $o) (local.get $rowBytes)))
        (local.set $inv (f32.div (f32.const 1) (f32.sqrt (f32.add (f32.load (i32.add (local.get $var) (local.get $o))) (local.get $eps)))))
        (local.set $a (f32.mul (local.get $inv) (f32.load (i32.add (local.get $gamma) (local.get $o)))))
        (f32.store (i32.add (local.get $pa) (local.get $o)) (local.get $a))
        (f32.store (i32.add (local.get $pb) (local.get $o))
          (f32.neg (f32.mul (local.get $a)
            (f32.mul (f32.mul (f32.div (f32.load (i32.add (local.get $dgamma) (local.get $o))) (local.get $kf)) (local.get $inv)) (local.get $inv)))))
        (f32.store (i32.add (local.get $pd) (local.get $o))
          (f32.neg (f32.mul (local.get $a) (f32.div (f32.load (i32.add (local.get $dbeta) (local.get $o))) (local.get $kf)))))
        (f32.store (i32.add (local.get $dgamma) (local.get $o)) (f32.mul (f32.load (i32.add (local.get $dgamma) (local.get $o))) (local.get $inv)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $ch)))
    (local.set $dyi (local.get $dy))
    (local.set $xi (local.get $x))
    (local.set $dxi (local.get $dx))
    (local.set $r (local.get $k))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.eqz (local.get $r)))
        (local.set $j (i32.const 0))
        (block $vd
          (loop $v
            (br_if $vd (i32.ge_u (local.get $j) (local.get $body)))
            (v128.store (i32.add (local.get $dxi) (local.get $j))
              (f32x4.add
                (f32x4.mul (v128.load (i32.add (local.get $dyi) (local.get $j))) (v128.load (i32.add (local.get $pa) (local.get $j))))
                (f32x4.add
                  (f32x4.mul
                    (f32x4.sub (v128.load (i32.add (local.get $xi) (local.get $j))) (v128.load (i32.add (local.get $mean) (local.get $j))))
                    (v128.load (i32.add (local.get $pb) (local.get $j))))
                  (v128.load (i32.add (local.get $pd) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $v)))
        (block $td
          (loop $t
            (br_if $td (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (f32.store (i32.add (local.get $dxi) (local.get $j))
              (f32.add
                (f32.mul (f32.load (i32.add (local.get $dyi) (local.get $j))) (f32.load (i32.add (local.get $pa) (local.get $j))))
                (f32.add
                  (f32.mul
                    (f32.sub (f32.load (i32.add (local.get $xi) (local.get $j))) (f32.load (i32.add (local.get $mean) (local.get $j))))
                    (f32.load (i32.add (local.get $pb) (local.get $j))))
                  (f32.load (i32.add (local.get $pd) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $t)))
        (local.set $dyi (i32.add (local.get $dyi) (local.get $rowBytes)))
        (local.set $xi (i32.add (local.get $xi) (local.get $rowBytes)))
        (local.set $dxi (i32.add (local.get $dxi) (local.get $rowBytes)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $row))))

  ;; SiLU's gradient from the saved σ(x) and y = x·σ(x), in the tf-ops order: dx = dy·(s + y·(1 − s)).
  (func (export "siluGrad") (param $dy i32) (param $s i32) (param $y i32) (param $dx i32) (param $n i32)
    (local $o i32) (local $end i32) (local $body i32) (local $S v128) (local $sv f32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $body (i32.and (local.get $end) (i32.const -16)))
    (block $vd
      (loop $v
        (br_if $vd (i32.ge_u (local.get $o) (local.get $body)))
        (local.set $S (v128.load (i32.add (local.get $s) (local.get $o))))
        (v128.store (i32.add (local.get $dx) (local.get $o))
          (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $o)))
            (f32x4.add (local.get $S)
              (f32x4.mul (v128.load (i32.add (local.get $y) (local.get $o))) (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $S))))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $v)))
    (block $td
      (loop $t
        (br_if $td (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $sv (f32.load (i32.add (local.get $s) (local.get $o))))
        (f32.store (i32.add (local.get $dx) (local.get $o))
          (f32.mul (f32.load (i32.add (local.get $dy) (local.get $o)))
            (f32.add (local.get $sv) (f32.mul (f32.load (i32.add (local.get $y) (local.get $o))) (f32.sub (f32.const 1) (local.get $sv))))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $t))))

  ;; ---- Max pooling's gradient over NHWC data ----
  ;; Four channels per instruction: ~2.5 ms for SPPF's 5x5 window at 10x10x128, batch 8, where a JavaScript
  ;; loop takes ~12 ms. Window geometry as tfjs computes it: output (oy, ox) reads input rows
  ;; oy·sh − pt + [0, kh) and columns ox·sw − pl + [0, kw), clipped.

  ;; Byte offset of pixel (b, iy, ix) in an [n, h, w, c] float tensor.
  (func $pixel (param $b i32) (param $iy i32) (param $ix i32) (param $h i32) (param $w i32) (param $c i32) (result i32)
    (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $c)) (i32.const 2)))

  ;; Clipped window bounds [lo, hi) of output index `o` along an axis of `size` (kernel k, stride s, pad p),
  ;; packed as lo | hi << 16.
  (func $window (param $o i32) (param $k i32) (param $s i32) (param $p i32) (param $size i32) (result i32)
    (local $lo i32) (local $hi i32)
    (local.set $lo (i32.sub (i32.mul (local.get $o) (local.get $s)) (local.get $p)))
    (local.set $hi (i32.add (local.get $lo) (local.get $k)))
    (if (i32.lt_s (local.get $lo) (i32.const 0)) (then (local.set $lo (i32.const 0))))
    (if (i32.gt_s (local.get $hi) (local.get $size)) (then (local.set $hi (local.get $size))))
    (if (i32.lt_s (local.get $hi) (local.get $lo)) (then (local.set $hi (local.get $lo))))
    (i32.or (local.get $lo) (i32.shl (local.get $hi) (i32.const 16))))

  ;; dx: each dy goes to the first maximum of its window in row-major order (the first valid tap, then
  ;; only strictly greater values), the rule of tfjs-cpu and PyTorch that SPPF's ties depend on.
  (func (export "maxPoolGrad")
    (param $dy i32) (param $x i32) (param $dx i32) (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $oh i32) (param $ow i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $rows i32) (local $cols i32) (local $iy i32) (local $ix i32)
    (local $j i32) (local $rowBytes i32) (local $body i32) (local $off i32) (local $first i32) (local $g i32)
    (local $best v128) (local $at v128) (local $v v128) (local $m v128) (local $bs f32) (local $as i32) (local $vs f32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $body (i32.and (local.get $rowBytes) (i32.const -16)))
    (memory.fill (local.get $dx) (i32.const 0) (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $h)) (local.get $w)) (local.get $rowBytes)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $yd (loop $yl
        (br_if $yd (i32.ge_u (local.get $oy) (local.get $oh)))
        (local.set $rows (call $window (local.get $oy) (local.get $kh) (local.get $sh) (local.get $pt) (local.get $h)))
        (local.set $ox (i32.const 0))
        (block $xd (loop $xl
          (br_if $xd (i32.ge_u (local.get $ox) (local.get $ow)))
          (local.set $cols (call $window (local.get $ox) (local.get $kw) (local.get $sw) (local.get $pl) (local.get $w)))
          ;; An empty window sends nothing back.
          (if (i32.and
                (i32.lt_u (i32.and (local.get $rows) (i32.const 0xffff)) (i32.shr_u (local.get $rows) (i32.const 16)))
                (i32.lt_u (i32.and (local.get $cols) (i32.const 0xffff)) (i32.shr_u (local.get $cols) (i32.const 16))))
            (then
              (local.set $first (call $pixel (local.get $b) (i32.and (local.get $rows) (i32.const 0xffff)) (i32.and (local.get $cols) (i32.const 0xffff)) (local.get $h) (local.get $w) (local.get $c)))
              (local.set $g (i32.add (local.get $dy) (call $pixel (local.get $b) (local.get $oy) (local.get $ox) (local.get $oh) (local.get $ow) (local.get $c))))
              (local.set $j (i32.const 0))
              (block $vd (loop $vl
                (br_if $vd (i32.ge_u (local.get $j) (local.get $body)))
                ;; Per lane: best value and the byte offset (into x and dx) of the pixel holding it.
                (local.set $best (v128.load (i32.add (i32.add (local.get $x) (local.get $first)) (local.get $j))))
                (local.set $at (i32x4.splat (local.get $first)))
                (local.set $iy (i32.and (local.get $rows) (i32.const 0xffff)))
                (block $td (loop $tl
                  (br_if $td (i32.ge_u (local.get $iy) (i32.shr_u (local.get $rows) (i32.const 16))))
                  (local.set $ix (i32.and (local.get $cols) (i32.const 0xffff)))
                  (block $sd (loop $sl
                    (br_if $sd (i32.ge_u (local.get $ix) (i32.shr_u (local.get $cols) (i32.const 16))))
                    (local.set $off (call $pixel (local.get $b) (local.get $iy) (local.get $ix) (local.get $h) (local.get $w) (local.get $c)))
                    (local.set $v (v128.load (i32.add (i32.add (local.get $x) (local.get $off)) (local.get $j))))
                    (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                    (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                    (local.set $at (v128.bitselect (i32x4.splat (local.get $off)) (local.get $at) (local.get $m)))
                    (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                    (br $sl)))
                  (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
                  (br $tl)))
                (local.set $at (i32x4.add (local.get $at) (i32x4.add (i32x4.splat (i32.add (local.get $dx) (local.get $j))) (v128.const i32x4 0 4 8 12))))
                (local.set $off (i32x4.extract_lane 0 (local.get $at)))
                (f32.store (local.get $off) (f32.add (f32.load (local.get $off)) (f32.load (i32.add (local.get $g) (local.get $j)))))
                (local.set $off (i32x4.extract_lane 1 (local.get $at)))
                (f32.store (local.get $off) (f32.add (f32.load (local.get $off)) (f32.load offset=4 (i32.add (local.get $g) (local.get $j)))))
                (local.set $off (i32x4.extract_lane 2 (local.get $at)))
                (f32.store (local.get $off) (f32.add (f32.load (local.get $off)) (f32.load offset=8 (i32.add (local.get $g) (local.get $j)))))
                (local.set $off (i32x4.extract_lane 3 (local.get $at)))
                (f32.store (local.get $off) (f32.add (f32.load (local.get $off)) (f32.load offset=12 (i32.add (local.get $g) (local.get $j)))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $vl)))
              (block $cd (loop $cl
                (br_if $cd (i32.ge_u (local.get $j) (local.get $rowBytes)))
                (local.set $bs (f32.load (i32.add (i32.add (local.get $x) (local.get $first)) (local.get $j))))
                (local.set $as (local.get $first))
                (local.set $iy (i32.and (local.get $rows) (i32.const 0xffff)))
                (block $td2 (loop $tl2
                  (br_if $td2 (i32.ge_u (local.get $iy) (i32.shr_u (local.get $rows) (i32.const 16))))
                  (local.set $ix (i32.and (local.get $cols) (i32.const 0xffff)))
                  (block $sd2 (loop $sl2
                    (br_if $sd2 (i32.ge_u (local.get $ix) (i32.shr_u (local.get $cols) (i32.const 16))))
                    (local.set $off (call $pixel (local.get $b) (local.get $iy) (local.get $ix) (local.get $h) (local.get $w) (local.get $c)))
                    (local.set $vs (f32.load (i32.add (i32.add (local.get $x) (local.get $off)) (local.get $j))))
                    (if (f32.gt (local.get $vs) (local.get $bs)) (then (local.set $bs (local.get $vs)) (local.set $as (local.get $off))))
                    (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                    (br $sl2)))
                  (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
                  (br $tl2)))
                (local.set $off (i32.add (i32.add (local.get $dx) (local.get $as)) (local.get $j)))
                (f32.store (local.get $off) (f32.add (f32.load (local.get $off)) (f32.load (i32.add (local.get $g) (local.get $j)))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $cl)))))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $xl)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $yl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))
)
