;; Bilinear affine warp of 8-bit RGB / RGBA pixels, the same arithmetic as warp.ts's affineRows3/4:
;; 16.16 fixed-point source positions stepped per output pixel, 8-bit weights, and
;;   out = (s00*w00 + s01*w01 + s10*w10 + s11*w11 + 32768) >>> 16,  w00 = (256-fx)(256-fy), ...
;; computed as (256-fx)*left + fx*right with left = (256-fy)*s00 + fy*s10, right = (256-fy)*s01 + fy*s11
;; (the same integers: no overflow, no intermediate rounding), all channels of a pixel at once: the two
;; rows are interleaved byte by byte (one unpack), and one i32x4.dot_i16x8_s per column weighs them.
;; Pixels whose 2x2 neighbourhood is not wholly inside the source call the imported `edge` (JS),
;; so the result is byte-identical to the JS loops.
;;
;; Memory: the caller places the source at `src` and the output at `out`, with 16 spare bytes after
;; each (a pixel is read as 8 bytes per row and written as 4). Compiled by scripts/build-wasm.mjs.
(module
  (import "env" "memory" (memory 1))
  (import "env" "edge" (func $edge (param i32 i32 i32)))

  ;; 3-channel pixels. `maxX` = source width - 1, `maxY` = source height - 1; a..f: output → source.
  ;; A row is runs of edge pixels, each handed to $edge, and runs of inner pixels, whose loop has no call
  ;; (a call in the loop would make V8 keep its values on the stack).
  (func (export "affine3")
    (param $src i32) (param $stride i32) (param $maxX i32) (param $maxY i32)
    (param $out i32) (param $outWidth i32) (param $outHeight i32)
    (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $e f64) (param $f f64)
    (local $stepX i32) (local $stepY i32) (local $y i32) (local $end i32) (local $o i32)
    (local $sx i32) (local $sy i32) (local $ix i32) (local $iy i32) (local $fx i32) (local $fy i32)
    (local $p i32) (local $u v128) (local $left v128) (local $right v128) (local $acc v128) (local $half v128)
    (local.set $stepX (call $fixed (local.get $a)))
    (local.set $stepY (call $fixed (local.get $d)))
    (local.set $half (v128.const i32x4 32768 32768 32768 32768))
    (local.set $o (local.get $out))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_s (local.get $y) (local.get $outHeight)))
        ;; The row's first pixel centre: round((a*0.5 + b*(y+0.5) + c - 0.5) * 65536), as in JS.
        (local.set $sx (call $fixed (f64.sub (f64.add (f64.add (f64.mul (local.get $a) (f64.const 0.5))
          (f64.mul (local.get $b) (f64.add (f64.convert_i32_s (local.get $y)) (f64.const 0.5)))) (local.get $c)) (f64.const 0.5))))
        (local.set $sy (call $fixed (f64.sub (f64.add (f64.add (f64.mul (local.get $d) (f64.const 0.5))
          (f64.mul (local.get $e) (f64.add (f64.convert_i32_s (local.get $y)) (f64.const 0.5)))) (local.get $f)) (f64.const 0.5))))
        (local.set $end (i32.add (local.get $o) (i32.mul (local.get $outWidth) (i32.const 3))))
        (block $row_done
          (loop $runs
            ;; Edge pixels up to the next inner one.
            (block $inside
              (loop $edges
                (br_if $row_done (i32.ge_u (local.get $o) (local.get $end)))
                (local.set $ix (i32.shr_s (local.get $sx) (i32.const 16)))
                (local.set $iy (i32.shr_s (local.get $sy) (i32.const 16)))
                ;; 0 <= ix < maxX and 0 <= iy < maxY, as unsigned compares.
                (br_if $inside (i32.and (i32.lt_u (local.get $ix) (local.get $maxX)) (i32.lt_u (local.get $iy) (local.get $maxY))))
                (call $edge (local.get $sx) (local.get $sy) (i32.sub (local.get $o) (local.get $out)))
                (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
                (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
                (local.set $o (i32.add (local.get $o) (i32.const 3)))
                (br $edges)))
            ;; Inner pixels: the current one (ix, iy) is inner.
            (loop $inner
              (local.set $fx (i32.and (i32.shr_u (local.get $sx) (i32.const 8)) (i32.const 255)))
              (local.set $fy (i32.and (i32.shr_u (local.get $sy) (i32.const 8)) (i32.const 255)))
              (local.set $p (i32.add (local.get $src)
                (i32.add (i32.mul (local.get $iy) (local.get $stride)) (i32.mul (local.get $ix) (i32.const 3)))))
              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (i32x4.splat (i32.or (i32.shl (local.get $fy) (i32.const 16)) (i32.sub (i32.const 256) (local.get $fy))))))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (i32x4.splat (i32.or (i32.shl (local.get $fy) (i32.const 16)) (i32.sub (i32.const 256) (local.get $fy))))))
              ;; left = (L0 L1 L2 R0), right = (R1 R2 . .) → right = (R0 R1 R2 .)
              (local.set $right (i8x16.shuffle 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 (local.get $left) (local.get $right)))
              ;; (256 - fx) * left + fx * right, rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add
                (i32x4.mul (local.get $left) (i32x4.splat (i32.sub (i32.const 256) (local.get $fx)))) (i32x4.mul (local.get $right) (i32x4.splat (local.get $fx)))) (local.get $half)) (i32.const 16)))
              (local.set $acc (i16x8.narrow_i32x4_u (local.get $acc) (local.get $acc)))
              (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (local.get $acc) (local.get $acc)))
              (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
              (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
              (local.set $o (i32.add (local.get $o) (i32.const 3)))
              (br_if $row_done (i32.ge_u (local.get $o) (local.get $end)))
              (local.set $ix (i32.shr_s (local.get $sx) (i32.const 16)))
              (local.set $iy (i32.shr_s (local.get $sy) (i32.const 16)))
              (br_if $inner (i32.and (i32.lt_u (local.get $ix) (local.get $maxX)) (i32.lt_u (local.get $iy) (local.get $maxY)))))
            (br $runs)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  ;; 4-channel pixels. `maxX` = source width - 1, `maxY` = source height - 1; a..f: output → source.
  ;; A row is runs of edge pixels, each handed to $edge, and runs of inner pixels, whose loop has no call
  ;; (a call in the loop would make V8 keep its values on the stack).
  (func (export "affine4")
    (param $src i32) (param $stride i32) (param $maxX i32) (param $maxY i32)
    (param $out i32) (param $outWidth i32) (param $outHeight i32)
    (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $e f64) (param $f f64)
    (local $stepX i32) (local $stepY i32) (local $y i32) (local $end i32) (local $o i32)
    (local $sx i32) (local $sy i32) (local $ix i32) (local $iy i32) (local $fx i32) (local $fy i32)
    (local $p i32) (local $u v128) (local $left v128) (local $right v128) (local $acc v128) (local $half v128)
    (local.set $stepX (call $fixed (local.get $a)))
    (local.set $stepY (call $fixed (local.get $d)))
    (local.set $half (v128.const i32x4 32768 32768 32768 32768))
    (local.set $o (local.get $out))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_s (local.get $y) (local.get $outHeight)))
        ;; The row's first pixel centre: round((a*0.5 + b*(y+0.5) + c - 0.5) * 65536), as in JS.
        (local.set $sx (call $fixed (f64.sub (f64.add (f64.add (f64.mul (local.get $a) (f64.const 0.5))
          (f64.mul (local.get $b) (f64.add (f64.convert_i32_s (local.get $y)) (f64.const 0.5)))) (local.get $c)) (f64.const 0.5))))
        (local.set $sy (call $fixed (f64.sub (f64.add (f64.add (f64.mul (local.get $d) (f64.const 0.5))
          (f64.mul (local.get $e) (f64.add (f64.convert_i32_s (local.get $y)) (f64.const 0.5)))) (local.get $f)) (f64.const 0.5))))
        (local.set $end (i32.add (local.get $o) (i32.mul (local.get $outWidth) (i32.const 4))))
        (block $row_done
          (loop $runs
            ;; Edge pixels up to the next inner one.
            (block $inside
              (loop $edges
                (br_if $row_done (i32.ge_u (local.get $o) (local.get $end)))
                (local.set $ix (i32.shr_s (local.get $sx) (i32.const 16)))
                (local.set $iy (i32.shr_s (local.get $sy) (i32.const 16)))
                ;; 0 <= ix < maxX and 0 <= iy < maxY, as unsigned compares.
                (br_if $inside (i32.and (i32.lt_u (local.get $ix) (local.get $maxX)) (i32.lt_u (local.get $iy) (local.get $maxY))))
                (call $edge (local.get $sx) (local.get $sy) (i32.sub (local.get $o) (local.get $out)))
                (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
                (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
                (local.set $o (i32.add (local.get $o) (i32.const 4)))
                (br $edges)))
            ;; Inner pixels: the current one (ix, iy) is inner.
            (loop $inner
              (local.set $fx (i32.and (i32.shr_u (local.get $sx) (i32.const 8)) (i32.const 255)))
              (local.set $fy (i32.and (i32.shr_u (local.get $sy) (i32.const 8)) (i32.const 255)))
              (local.set $p (i32.add (local.get $src)
                (i32.add (i32.mul (local.get $iy) (local.get $stride)) (i32.mul (local.get $ix) (i32.const 4)))))
              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (i32x4.splat (i32.or (i32.shl (local.get $fy) (i32.const 16)) (i32.sub (i32.const 256) (local.get $fy))))))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (i32x4.splat (i32.or (i32.shl (local.get $fy) (i32.const 16)) (i32.sub (i32.const 256) (local.get $fy))))))
              ;; (256 - fx) * left + fx * right, rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add
                (i32x4.mul (local.get $left) (i32x4.splat (i32.sub (i32.const 256) (local.get $fx)))) (i32x4.mul (local.get $right) (i32x4.splat (local.get $fx)))) (local.get $half)) (i32.const 16)))
              (local.set $acc (i16x8.narrow_i32x4_u (local.get $acc) (local.get $acc)))
              (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (local.get $acc) (local.get $acc)))
              (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
              (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
              (local.set $o (i32.add (local.get $o) (i32.const 4)))
              (br_if $row_done (i32.ge_u (local.get $o) (local.get $end)))
              (local.set $ix (i32.shr_s (local.get $sx) (i32.const 16)))
              (local.set $iy (i32.shr_s (local.get $sy) (i32.const 16)))
              (br_if $inner (i32.and (i32.lt_u (local.get $ix) (local.get $maxX)) (i32.lt_u (local.get $iy) (local.get $maxY)))))
            (br $runs)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  ;; Math.round(v * 65536) | 0 for |v * 65536| < 2^31, exactly as V8 rounds: r = ceil(x), minus 1
  ;; when r - 0.5 > x (halves go up; no error from adding 0.5 first).
  (func $fixed (param $v f64) (result i32)
    (local $x f64) (local $r f64)
    (local.set $x (f64.mul (local.get $v) (f64.const 65536)))
    (local.set $r (f64.ceil (local.get $x)))
    (if (f64.gt (f64.sub (local.get $r) (f64.const 0.5)) (local.get $x))
      (then (local.set $r (f64.sub (local.get $r) (f64.const 1)))))
    (i32.trunc_f64_s (local.get $r))))
