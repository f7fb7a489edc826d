;; Bilinear affine warp of 8-bit RGB / RGBA pixels, the same arithmetic as warp.ts's affineRows3/4:
;; 16.16 fixed-point source positions stepped per output pixel, 8-bit weights, and
;;   out = (s00*w00 + s01*w01 + s10*w10 + s11*w11 + 32768) >>> 16,  w00 = (256-fx)(256-fy), ...
;; computed as (256-fy)*top + fy*bottom with top = (256-fx)*s00 + fx*s01 (the same integers: no
;; overflow, no intermediate rounding), all channels of a pixel at once: one shuffle pairs each
;; channel's left and right neighbours, one i32x4.dot_i16x8_s per row weighs them.
;; Pixels whose 2x2 neighbourhood is not wholly inside the source call the imported `edge` (JS),
;; so the result is byte-identical to the JS loops.
;;
;; Memory: the caller places the source at `src` and the output at `out`, with 16 spare bytes after
;; each (a pixel is read as 16 bytes and written as 4). Compiled by scripts/build-wasm.mjs.
(module
  (import "env" "memory" (memory 1))
  (import "env" "edge" (func $edge (param i32 i32 i32)))

  ;; 3-channel pixels. `maxX` = source width - 1, `maxY` = source height - 1; a..f: output → source.
  (func (export "affine3")
    (param $src i32) (param $stride i32) (param $maxX i32) (param $maxY i32)
    (param $out i32) (param $outWidth i32) (param $outHeight i32)
    (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $e f64) (param $f f64)
    (local $stepX i32) (local $stepY i32) (local $y i32) (local $end i32) (local $o i32)
    (local $sx i32) (local $sy i32) (local $ix i32) (local $iy i32) (local $fx i32) (local $fy i32)
    (local $p i32) (local $pair v128) (local $hw v128) (local $acc v128)
    (local.set $stepX (call $fixed (local.get $a)))
    (local.set $stepY (call $fixed (local.get $d)))
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
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $o) (local.get $end)))
            (local.set $ix (i32.shr_s (local.get $sx) (i32.const 16)))
            (local.set $iy (i32.shr_s (local.get $sy) (i32.const 16)))
            ;; 0 <= ix < maxX and 0 <= iy < maxY, as unsigned compares.
            (if (i32.and (i32.lt_u (local.get $ix) (local.get $maxX)) (i32.lt_u (local.get $iy) (local.get $maxY)))
              (then
                (local.set $fx (i32.and (i32.shr_u (local.get $sx) (i32.const 8)) (i32.const 255)))
                (local.set $fy (i32.and (i32.shr_u (local.get $sy) (i32.const 8)) (i32.const 255)))
                (local.set $p (i32.add (local.get $src)
                  (i32.add (i32.mul (local.get $iy) (local.get $stride)) (i32.mul (local.get $ix) (i32.const 3)))))
                ;; Bytes: s00 ch0, s01 ch0, s00 ch1, s01 ch1, ... for row iy, then the same for row iy + 1.
                (local.set $pair (i8x16.shuffle 0 3 1 4 2 5 6 7 16 19 17 20 18 21 22 23
                  (v128.load (local.get $p)) (v128.load (i32.add (local.get $p) (local.get $stride)))))
                ;; i16 lanes (256 - fx, fx) repeated.
                (local.set $hw (i32x4.splat (i32.or (i32.shl (local.get $fx) (i32.const 16)) (i32.sub (i32.const 256) (local.get $fx)))))
                (local.set $acc (i32x4.add
                  (i32x4.mul (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $pair)) (local.get $hw))
                             (i32x4.splat (i32.sub (i32.const 256) (local.get $fy))))
                  (i32x4.mul (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $pair)) (local.get $hw))
                             (i32x4.splat (local.get $fy)))))
                (local.set $acc (i32x4.shr_u (i32x4.add (local.get $acc) (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16)))
                (local.set $acc (i16x8.narrow_i32x4_u (local.get $acc) (local.get $acc)))
                (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (local.get $acc) (local.get $acc))))
              (else
                (call $edge (local.get $sx) (local.get $sy) (i32.sub (local.get $o) (local.get $out)))))
            (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
            (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  ;; 4-channel pixels. `maxX` = source width - 1, `maxY` = source height - 1; a..f: output → source.
  (func (export "affine4")
    (param $src i32) (param $stride i32) (param $maxX i32) (param $maxY i32)
    (param $out i32) (param $outWidth i32) (param $outHeight i32)
    (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $e f64) (param $f f64)
    (local $stepX i32) (local $stepY i32) (local $y i32) (local $end i32) (local $o i32)
    (local $sx i32) (local $sy i32) (local $ix i32) (local $iy i32) (local $fx i32) (local $fy i32)
    (local $p i32) (local $pair v128) (local $hw v128) (local $acc v128)
    (local.set $stepX (call $fixed (local.get $a)))
    (local.set $stepY (call $fixed (local.get $d)))
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
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $o) (local.get $end)))
            (local.set $ix (i32.shr_s (local.get $sx) (i32.const 16)))
            (local.set $iy (i32.shr_s (local.get $sy) (i32.const 16)))
            ;; 0 <= ix < maxX and 0 <= iy < maxY, as unsigned compares.
            (if (i32.and (i32.lt_u (local.get $ix) (local.get $maxX)) (i32.lt_u (local.get $iy) (local.get $maxY)))
              (then
                (local.set $fx (i32.and (i32.shr_u (local.get $sx) (i32.const 8)) (i32.const 255)))
                (local.set $fy (i32.and (i32.shr_u (local.get $sy) (i32.const 8)) (i32.const 255)))
                (local.set $p (i32.add (local.get $src)
                  (i32.add (i32.mul (local.get $iy) (local.get $stride)) (i32.mul (local.get $ix) (i32.const 4)))))
                ;; Bytes: s00 ch0, s01 ch0, s00 ch1, s01 ch1, ... for row iy, then the same for row iy + 1.
                (local.set $pair (i8x16.shuffle 0 4 1 5 2 6 3 7 16 20 17 21 18 22 19 23
                  (v128.load (local.get $p)) (v128.load (i32.add (local.get $p) (local.get $stride)))))
                ;; i16 lanes (256 - fx, fx) repeated.
                (local.set $hw (i32x4.splat (i32.or (i32.shl (local.get $fx) (i32.const 16)) (i32.sub (i32.const 256) (local.get $fx)))))
                (local.set $acc (i32x4.add
                  (i32x4.mul (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $pair)) (local.get $hw))
                             (i32x4.splat (i32.sub (i32.const 256) (local.get $fy))))
                  (i32x4.mul (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $pair)) (local.get $hw))
                             (i32x4.splat (local.get $fy)))))
                (local.set $acc (i32x4.shr_u (i32x4.add (local.get $acc) (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16)))
                (local.set $acc (i16x8.narrow_i32x4_u (local.get $acc) (local.get $acc)))
                (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (local.get $acc) (local.get $acc))))
              (else
                (call $edge (local.get $sx) (local.get $sy) (i32.sub (local.get $o) (local.get $out)))))
            (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
            (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $cols)))
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
