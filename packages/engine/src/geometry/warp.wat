;; Bilinear affine warp of 8-bit RGB / RGBA pixels, the same arithmetic as warp.ts's affineRows3/4:
;; 16.16 fixed-point source positions stepped per output pixel, 8-bit weights, and
;;   out = (s00*w00 + s01*w01 + s10*w10 + s11*w11 + 32768) >>> 16,  w00 = (256-fx)(256-fy), ...
;; computed as (256-fx)*left + fx*right with left = (256-fy)*s00 + fy*s10, right = (256-fy)*s01 + fy*s11
;; (the same integers: no overflow, no intermediate rounding), all channels of a pixel at once: the two
;; rows are interleaved byte by byte (one unpack), and one i32x4.dot_i16x8_s per column weighs them.
;; Pixels whose 2x2 neighbourhood is not wholly inside the source call the imported `edge` (JS),
;; so the result is byte-identical to the JS loops. The horizontal step is computed as 256*left + fx*(right - left)
;; (the same integer), and inner pixels go four at a time (positions, weights and addresses as i32x4 lanes,
;; the four results packed into one store), with no bounds check: each row's run of inner pixels is found first.
;;
;; Memory: the caller places the source at `src` and the output at `out`, with 16 spare bytes after
;; each (a pixel is read as 8 bytes per row and written as 4). Compiled by scripts/build-wasm.mjs.
(module
  (import "env" "memory" (memory 1))
  (import "env" "edge" (func $edge (param i32 i32 i32)))

  ;; 3-channel pixels. `maxX` = source width - 1, `maxY` = source height - 1; a..f: output → source.
  ;; A row is edge pixels (each handed to $edge), one run of inner pixels, and edge pixels again: the inner
  ;; pixels of a row are one interval (ix and iy move monotonically along it), found once per row by $runStart and
  ;; $runEnd, so the inner loop has no bounds checks and no call (a call would make V8 keep its values on the stack).
  ;; Inner pixels go four at a time: their positions, weights and addresses as i32x4 lanes.
  (func (export "affine3")
    (param $src i32) (param $stride i32) (param $maxX i32) (param $maxY i32)
    (param $out i32) (param $outWidth i32) (param $outHeight i32)
    (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $e f64) (param $f f64)
    (local $stepX i32) (local $stepY i32) (local $y i32) (local $end i32) (local $o i32)
    (local $sx i32) (local $sy i32) (local $fy i32) (local $p i32)
    (local $innerStart i32) (local $innerEnd i32) (local $groupsEnd i32) (local $limitX f64) (local $limitY f64)
    (local $u v128) (local $w v128) (local $left v128) (local $right v128) (local $acc v128) (local $half v128)
    (local $SX v128) (local $SY v128) (local $stepX4 v128) (local $stepY4 v128) (local $P v128) (local $WY v128) (local $FX v128)
    (local $FY v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $stepX (call $fixed (local.get $a)))
    (local.set $stepY (call $fixed (local.get $d)))
    (local.set $stepX4 (i32x4.splat (i32.shl (local.get $stepX) (i32.const 2))))
    (local.set $stepY4 (i32x4.splat (i32.shl (local.get $stepY) (i32.const 2))))
    ;; Inner: 0 <= sx <= limitX and 0 <= sy <= limitY (0 <= sx >> 16 < maxX, in whole fixed-point units).
    (local.set $limitX (f64.sub (f64.mul (f64.convert_i32_s (local.get $maxX)) (f64.const 65536)) (f64.const 1)))
    (local.set $limitY (f64.sub (f64.mul (f64.convert_i32_s (local.get $maxY)) (f64.const 65536)) (f64.const 1)))
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
        ;; The row's inner pixels: [innerStart, innerEnd) as output byte offsets.
        (local.set $innerStart (call $runStart
          (local.get $sx) (local.get $stepX) (local.get $limitX) (local.get $sy) (local.get $stepY) (local.get $limitY) (local.get $outWidth)))
        (local.set $innerEnd (call $runEnd
          (local.get $sx) (local.get $stepX) (local.get $limitX) (local.get $sy) (local.get $stepY) (local.get $limitY) (local.get $outWidth)))
        (if (i32.lt_s (local.get $innerEnd) (local.get $innerStart)) (then (local.set $innerEnd (local.get $innerStart))))
        (local.set $innerStart (i32.add (local.get $o) (i32.mul (local.get $innerStart) (i32.const 3))))
        (local.set $innerEnd (i32.add (local.get $o) (i32.mul (local.get $innerEnd) (i32.const 3))))
        ;; Edge pixels before the inner run.
        (block $before_done
          (loop $before
            (br_if $before_done (i32.ge_u (local.get $o) (local.get $innerStart)))
            (call $edge (local.get $sx) (local.get $sy) (i32.sub (local.get $o) (local.get $out)))
            (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
            (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (br $before)))
        ;; Inner pixels, four at a time.
        (local.set $groupsEnd (i32.sub (local.get $innerEnd) (i32.const 9)))
        (if (i32.lt_s (local.get $o) (local.get $groupsEnd))
          (then
            (local.set $SX (i32x4.add (i32x4.splat (local.get $sx))
              (i32x4.mul (i32x4.splat (local.get $stepX)) (v128.const i32x4 0 1 2 3))))
            (local.set $SY (i32x4.add (i32x4.splat (local.get $sy))
              (i32x4.mul (i32x4.splat (local.get $stepY)) (v128.const i32x4 0 1 2 3))))
            (loop $groups
              (local.set $P (i32x4.add (i32x4.splat (local.get $src)) (i32x4.add
                (i32x4.mul (i32x4.shr_s (local.get $SY) (i32.const 16)) (i32x4.splat (local.get $stride)))
                (i32x4.mul (i32x4.shr_s (local.get $SX) (i32.const 16)) (v128.const i32x4 3 3 3 3)))))
              (local.set $FX (v128.and (i32x4.shr_u (local.get $SX) (i32.const 8)) (v128.const i32x4 255 255 255 255)))
              (local.set $FY (v128.and (i32x4.shr_u (local.get $SY) (i32.const 8)) (v128.const i32x4 255 255 255 255)))
              ;; Each lane: fy in its high 16 bits, 256 - fy in its low 16 bits (one pair of i32x4.dot_i16x8_s weights).
              (local.set $WY (v128.or (i32x4.shl (local.get $FY) (i32.const 16))
                (i32x4.sub (v128.const i32x4 256 256 256 256) (local.get $FY))))

              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32x4.extract_lane 0 (local.get $P)))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $WY) (local.get $WY)))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; left = (L0 L1 L2 R0), right = (R1 R2 . .) → right = (R0 R1 R2 .)
              (local.set $right (i8x16.shuffle 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 (local.get $left) (local.get $right)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $FX) (local.get $FX)))) (local.get $half)) (i32.const 16)))
              (local.set $a0 (local.get $acc))
              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32x4.extract_lane 1 (local.get $P)))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $WY) (local.get $WY)))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; left = (L0 L1 L2 R0), right = (R1 R2 . .) → right = (R0 R1 R2 .)
              (local.set $right (i8x16.shuffle 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 (local.get $left) (local.get $right)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $FX) (local.get $FX)))) (local.get $half)) (i32.const 16)))
              (local.set $a1 (local.get $acc))
              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32x4.extract_lane 2 (local.get $P)))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $WY) (local.get $WY)))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; left = (L0 L1 L2 R0), right = (R1 R2 . .) → right = (R0 R1 R2 .)
              (local.set $right (i8x16.shuffle 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 (local.get $left) (local.get $right)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $FX) (local.get $FX)))) (local.get $half)) (i32.const 16)))
              (local.set $a2 (local.get $acc))
              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32x4.extract_lane 3 (local.get $P)))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $WY) (local.get $WY)))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; left = (L0 L1 L2 R0), right = (R1 R2 . .) → right = (R0 R1 R2 .)
              (local.set $right (i8x16.shuffle 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 (local.get $left) (local.get $right)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $FX) (local.get $FX)))) (local.get $half)) (i32.const 16)))
              (local.set $a3 (local.get $acc))

              ;; The four pixels' bytes, packed: 12 bytes (the 4 after them are overwritten later or are slack).
              (v128.store (local.get $o) (i8x16.shuffle 0 1 2 4 5 6 8 9 10 12 13 14 15 15 15 15
                (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_u (local.get $a0) (local.get $a1)) (i16x8.narrow_i32x4_u (local.get $a2) (local.get $a3)))
                (local.get $a0)))
              (local.set $SX (i32x4.add (local.get $SX) (local.get $stepX4)))
              (local.set $SY (i32x4.add (local.get $SY) (local.get $stepY4)))
              (local.set $o (i32.add (local.get $o) (i32.const 12)))
              (br_if $groups (i32.lt_s (local.get $o) (local.get $groupsEnd))))
            (local.set $sx (i32x4.extract_lane 0 (local.get $SX)))
            (local.set $sy (i32x4.extract_lane 0 (local.get $SY)))))
        ;; The last inner pixels, one at a time.
        (block $singles_done
          (loop $singles
            (br_if $singles_done (i32.ge_u (local.get $o) (local.get $innerEnd)))

              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32.add (local.get $src) (i32.add (i32.mul (i32.shr_s (local.get $sy) (i32.const 16)) (local.get $stride)) (i32.mul (i32.shr_s (local.get $sx) (i32.const 16)) (i32.const 3)))))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i32x4.splat (i32.or (i32.shl (local.tee $fy (i32.and (i32.shr_u (local.get $sy) (i32.const 8)) (i32.const 255))) (i32.const 16)) (i32.sub (i32.const 256) (local.get $fy)))))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; left = (L0 L1 L2 R0), right = (R1 R2 . .) → right = (R0 R1 R2 .)
              (local.set $right (i8x16.shuffle 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 (local.get $left) (local.get $right)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i32x4.splat (i32.and (i32.shr_u (local.get $sx) (i32.const 8)) (i32.const 255))))) (local.get $half)) (i32.const 16)))
              (local.set $acc (i16x8.narrow_i32x4_u (local.get $acc) (local.get $acc)))
              (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (local.get $acc) (local.get $acc)))
            (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
            (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (br $singles)))
        ;; Edge pixels after the inner run.
        (block $after_done
          (loop $after
            (br_if $after_done (i32.ge_u (local.get $o) (local.get $end)))
            (call $edge (local.get $sx) (local.get $sy) (i32.sub (local.get $o) (local.get $out)))
            (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
            (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (br $after)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))


  ;; 4-channel pixels. `maxX` = source width - 1, `maxY` = source height - 1; a..f: output → source.
  ;; A row is edge pixels (each handed to $edge), one run of inner pixels, and edge pixels again: the inner
  ;; pixels of a row are one interval (ix and iy move monotonically along it), found once per row by $runStart and
  ;; $runEnd, so the inner loop has no bounds checks and no call (a call would make V8 keep its values on the stack).
  ;; Inner pixels go four at a time: their positions, weights and addresses as i32x4 lanes.
  (func (export "affine4")
    (param $src i32) (param $stride i32) (param $maxX i32) (param $maxY i32)
    (param $out i32) (param $outWidth i32) (param $outHeight i32)
    (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $e f64) (param $f f64)
    (local $stepX i32) (local $stepY i32) (local $y i32) (local $end i32) (local $o i32)
    (local $sx i32) (local $sy i32) (local $fy i32) (local $p i32)
    (local $innerStart i32) (local $innerEnd i32) (local $groupsEnd i32) (local $limitX f64) (local $limitY f64)
    (local $u v128) (local $w v128) (local $left v128) (local $right v128) (local $acc v128) (local $half v128)
    (local $SX v128) (local $SY v128) (local $stepX4 v128) (local $stepY4 v128) (local $P v128) (local $WY v128) (local $FX v128)
    (local $FY v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $stepX (call $fixed (local.get $a)))
    (local.set $stepY (call $fixed (local.get $d)))
    (local.set $stepX4 (i32x4.splat (i32.shl (local.get $stepX) (i32.const 2))))
    (local.set $stepY4 (i32x4.splat (i32.shl (local.get $stepY) (i32.const 2))))
    ;; Inner: 0 <= sx <= limitX and 0 <= sy <= limitY (0 <= sx >> 16 < maxX, in whole fixed-point units).
    (local.set $limitX (f64.sub (f64.mul (f64.convert_i32_s (local.get $maxX)) (f64.const 65536)) (f64.const 1)))
    (local.set $limitY (f64.sub (f64.mul (f64.convert_i32_s (local.get $maxY)) (f64.const 65536)) (f64.const 1)))
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
        ;; The row's inner pixels: [innerStart, innerEnd) as output byte offsets.
        (local.set $innerStart (call $runStart
          (local.get $sx) (local.get $stepX) (local.get $limitX) (local.get $sy) (local.get $stepY) (local.get $limitY) (local.get $outWidth)))
        (local.set $innerEnd (call $runEnd
          (local.get $sx) (local.get $stepX) (local.get $limitX) (local.get $sy) (local.get $stepY) (local.get $limitY) (local.get $outWidth)))
        (if (i32.lt_s (local.get $innerEnd) (local.get $innerStart)) (then (local.set $innerEnd (local.get $innerStart))))
        (local.set $innerStart (i32.add (local.get $o) (i32.mul (local.get $innerStart) (i32.const 4))))
        (local.set $innerEnd (i32.add (local.get $o) (i32.mul (local.get $innerEnd) (i32.const 4))))
        ;; Edge pixels before the inner run.
        (block $before_done
          (loop $before
            (br_if $before_done (i32.ge_u (local.get $o) (local.get $innerStart)))
            (call $edge (local.get $sx) (local.get $sy) (i32.sub (local.get $o) (local.get $out)))
            (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
            (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $before)))
        ;; Inner pixels, four at a time.
        (local.set $groupsEnd (i32.sub (local.get $innerEnd) (i32.const 12)))
        (if (i32.lt_s (local.get $o) (local.get $groupsEnd))
          (then
            (local.set $SX (i32x4.add (i32x4.splat (local.get $sx))
              (i32x4.mul (i32x4.splat (local.get $stepX)) (v128.const i32x4 0 1 2 3))))
            (local.set $SY (i32x4.add (i32x4.splat (local.get $sy))
              (i32x4.mul (i32x4.splat (local.get $stepY)) (v128.const i32x4 0 1 2 3))))
            (loop $groups
              (local.set $P (i32x4.add (i32x4.splat (local.get $src)) (i32x4.add
                (i32x4.mul (i32x4.shr_s (local.get $SY) (i32.const 16)) (i32x4.splat (local.get $stride)))
                (i32x4.mul (i32x4.shr_s (local.get $SX) (i32.const 16)) (v128.const i32x4 4 4 4 4)))))
              (local.set $FX (v128.and (i32x4.shr_u (local.get $SX) (i32.const 8)) (v128.const i32x4 255 255 255 255)))
              (local.set $FY (v128.and (i32x4.shr_u (local.get $SY) (i32.const 8)) (v128.const i32x4 255 255 255 255)))
              ;; Each lane: fy in its high 16 bits, 256 - fy in its low 16 bits (one pair of i32x4.dot_i16x8_s weights).
              (local.set $WY (v128.or (i32x4.shl (local.get $FY) (i32.const 16))
                (i32x4.sub (v128.const i32x4 256 256 256 256) (local.get $FY))))

              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32x4.extract_lane 0 (local.get $P)))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $WY) (local.get $WY)))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $FX) (local.get $FX)))) (local.get $half)) (i32.const 16)))
              (local.set $a0 (local.get $acc))
              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32x4.extract_lane 1 (local.get $P)))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $WY) (local.get $WY)))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $FX) (local.get $FX)))) (local.get $half)) (i32.const 16)))
              (local.set $a1 (local.get $acc))
              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32x4.extract_lane 2 (local.get $P)))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $WY) (local.get $WY)))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $FX) (local.get $FX)))) (local.get $half)) (i32.const 16)))
              (local.set $a2 (local.get $acc))
              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32x4.extract_lane 3 (local.get $P)))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $WY) (local.get $WY)))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $FX) (local.get $FX)))) (local.get $half)) (i32.const 16)))
              (local.set $a3 (local.get $acc))

              (v128.store (local.get $o)
                (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_u (local.get $a0) (local.get $a1)) (i16x8.narrow_i32x4_u (local.get $a2) (local.get $a3))))
              (local.set $SX (i32x4.add (local.get $SX) (local.get $stepX4)))
              (local.set $SY (i32x4.add (local.get $SY) (local.get $stepY4)))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br_if $groups (i32.lt_s (local.get $o) (local.get $groupsEnd))))
            (local.set $sx (i32x4.extract_lane 0 (local.get $SX)))
            (local.set $sy (i32x4.extract_lane 0 (local.get $SY)))))
        ;; The last inner pixels, one at a time.
        (block $singles_done
          (loop $singles
            (br_if $singles_done (i32.ge_u (local.get $o) (local.get $innerEnd)))

              ;; Vertical first: rows iy and iy + 1 interleaved byte by byte, each pair weighed by (256 - fy, fy).
              (local.set $p (i32.add (local.get $src) (i32.add (i32.mul (i32.shr_s (local.get $sy) (i32.const 16)) (local.get $stride)) (i32.mul (i32.shr_s (local.get $sx) (i32.const 16)) (i32.const 4)))))
              (local.set $u (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
                (v128.load64_zero (local.get $p)) (v128.load64_zero (i32.add (local.get $p) (local.get $stride)))))
              (local.set $w (i32x4.splat (i32.or (i32.shl (local.tee $fy (i32.and (i32.shr_u (local.get $sy) (i32.const 8)) (i32.const 255))) (i32.const 16)) (i32.sub (i32.const 256) (local.get $fy)))))
              (local.set $left (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $u)) (local.get $w)))
              (local.set $right (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $u)) (local.get $w)))
              ;; (256 - fx) * left + fx * right = 256 * left + fx * (right - left), rounded to 8 bits.
              (local.set $acc (i32x4.shr_u (i32x4.add (i32x4.add (i32x4.shl (local.get $left) (i32.const 8))
                (i32x4.mul (i32x4.sub (local.get $right) (local.get $left)) (i32x4.splat (i32.and (i32.shr_u (local.get $sx) (i32.const 8)) (i32.const 255))))) (local.get $half)) (i32.const 16)))
              (local.set $acc (i16x8.narrow_i32x4_u (local.get $acc) (local.get $acc)))
              (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (local.get $acc) (local.get $acc)))
            (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
            (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $singles)))
        ;; Edge pixels after the inner run.
        (block $after_done
          (loop $after
            (br_if $after_done (i32.ge_u (local.get $o) (local.get $end)))
            (call $edge (local.get $sx) (local.get $sy) (i32.sub (local.get $o) (local.get $out)))
            (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
            (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $after)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))


  ;; The first t >= 0 with 0 <= s + t*d <= limit (-inf: every t; +inf: none), for the fixed-point position s of a
  ;; row's first pixel and its step d. Exact: the integers are below 2^34, so an f64 quotient floors and ceils right.
  (func $low (param $s i32) (param $d i32) (param $limit f64) (result f64)
    (local $s0 f64) (local $d0 f64)
    (local.set $s0 (f64.convert_i32_s (local.get $s)))
    (local.set $d0 (f64.convert_i32_s (local.get $d)))
    (if (result f64) (f64.gt (local.get $d0) (f64.const 0))
      (then (f64.ceil (f64.div (f64.neg (local.get $s0)) (local.get $d0))))
      (else (if (result f64) (f64.lt (local.get $d0) (f64.const 0))
        (then (f64.ceil (f64.div (f64.sub (local.get $limit) (local.get $s0)) (local.get $d0))))
        (else (select (f64.const -inf) (f64.const inf)
          (i32.and (f64.ge (local.get $s0) (f64.const 0)) (f64.le (local.get $s0) (local.get $limit)))))))))

  ;; One past the last t with 0 <= s + t*d <= limit (+inf: every t; -inf: none).
  (func $high (param $s i32) (param $d i32) (param $limit f64) (result f64)
    (local $s0 f64) (local $d0 f64)
    (local.set $s0 (f64.convert_i32_s (local.get $s)))
    (local.set $d0 (f64.convert_i32_s (local.get $d)))
    (if (result f64) (f64.gt (local.get $d0) (f64.const 0))
      (then (f64.add (f64.floor (f64.div (f64.sub (local.get $limit) (local.get $s0)) (local.get $d0))) (f64.const 1)))
      (else (if (result f64) (f64.lt (local.get $d0) (f64.const 0))
        (then (f64.add (f64.floor (f64.div (f64.neg (local.get $s0)) (local.get $d0))) (f64.const 1)))
        (else (select (f64.const inf) (f64.const -inf)
          (i32.and (f64.ge (local.get $s0) (f64.const 0)) (f64.le (local.get $s0) (local.get $limit)))))))))

  ;; The first inner pixel of a row of n (n when none is), and one past its last one (at most n).
  (func $runStart (param $sx i32) (param $dx i32) (param $limitX f64) (param $sy i32) (param $dy i32) (param $limitY f64)
    (param $n i32) (result i32)
    (i32.trunc_f64_s (f64.min (f64.convert_i32_s (local.get $n)) (f64.max (f64.const 0)
      (f64.max (call $low (local.get $sx) (local.get $dx) (local.get $limitX)) (call $low (local.get $sy) (local.get $dy) (local.get $limitY)))))))
  (func $runEnd (param $sx i32) (param $dx i32) (param $limitX f64) (param $sy i32) (param $dy i32) (param $limitY f64)
    (param $n i32) (result i32)
    (i32.trunc_f64_s (f64.min (f64.convert_i32_s (local.get $n)) (f64.max (f64.const 0)
      (f64.min (call $high (local.get $sx) (local.get $dx) (local.get $limitX)) (call $high (local.get $sy) (local.get $dy) (local.get $limitY)))))))

  ;; Math.round(v * 65536) | 0 for |v * 65536| < 2^31, exactly as V8 rounds: r = ceil(x), minus 1
  ;; when r - 0.5 > x (halves go up; no error from adding 0.5 first).
  (func $fixed (param $v f64) (result i32)
    (local $x f64) (local $r f64)
    (local.set $x (f64.mul (local.get $v) (f64.const 65536)))
    (local.set $r (f64.ceil (local.get $x)))
    (if (f64.gt (f64.sub (local.get $r) (f64.const 0.5)) (local.get $x))
      (then (local.set $r (f64.sub (local.get $r) (f64.const 1)))))
    (i32.trunc_f64_s (local.get $r))))
