;; The scoring kernel of the adaptive model (see kernel.ts): the loop of
;; `NaiveBayesModel.scoreEncoded` over a scorer laid out in this module's memory, for a record
;; resolved by predictor id. Same reads, same order of additions, so the same score bit for bit;
;; without the bounds check of every typed-array read that the JavaScript loop pays.
;;
;; Uses SIMD (v128), which Node.js has had since version 16.
;;
;; Scorer layout (naive-bayes.ts, `buildScorer`): f64 cells `num` (intercept at 0), i32 heads of
;; six ints per active predictor [kind | size << 2, predictor id, at, table, computed, evidence],
;; i32 hash slots, u8 group tables. Record: f64 numbers and i32 symbol numbers by predictor id.
;;
;; `score` writes the score (f64) at `out` and returns how many predictors took part, or returns -1
;; when the row needs the JavaScript loop: a cell not computed at this version of the model, a
;; predictor laid out without a table (OTHER), or a predictor id the record was not encoded with.
(module
  (import "env" "memory" (memory 1))

  (func (export "score")
    (param $num i32) (param $meta i32) (param $hash i32) (param $groups i32) (param $count i32)
    (param $numbers i32) (param $symbols i32) (param $size i32) (param $out i32) (result i32)
    (local $sum f64) (local $n i32) (local $m i32) (local $end i32) (local $head i32) (local $kind i32)
    (local $bins i32) (local $id i32) (local $t i32) (local $bin i32) (local $x f64) (local $sym i32)
    (local $residual i32) (local $table i32) (local $group i32) (local $bits i32) (local $mask i32)
    (local $h i32) (local $slot i32) (local $a i32) (local $b i32) (local $len i32) (local $half i32)
    (local $acc v128) (local $xx v128)
    (local.set $sum (f64.load (local.get $num)))
    (local.set $m (local.get $meta))
    (local.set $end (i32.add (local.get $meta) (i32.mul (local.get $count) (i32.const 24))))
    (block $scored
      (loop $predictor
        (br_if $scored (i32.ge_u (local.get $m) (local.get $end)))
        (local.set $head (i32.load (local.get $m)))
        (local.set $kind (i32.and (local.get $head) (i32.const 3)))
        (local.set $bins (i32.shr_u (local.get $head) (i32.const 2)))
        (local.set $id (i32.load offset=4 (local.get $m)))
        ;; at: the predictor's first number in `num`
        (local.set $t (i32.load offset=8 (local.get $m)))
        (if (i32.ge_u (local.get $id) (local.get $size)) (then (return (i32.const -1))))
        (if (i32.eqz (local.get $kind))
          (then
            ;; NUMERIC: bins - 1 finite bounds, then the cells (intervals, missing)
            (local.set $x (f64.load (i32.add (local.get $numbers) (i32.shl (local.get $id) (i32.const 3)))))
            (if (f64.ne (local.get $x) (local.get $x))
              (then (local.set $bin (local.get $bins)))
              (else
                ;; how many of the bins - 1 sorted bounds from `at` are below x (binning.ts
                ;; `countBelow`, the same count): for up to 24 bounds counted two at a time (no
                ;; chain of dependent steps), else a search whose steps depend only on their number
                (local.set $a (i32.add (local.get $num) (i32.shl (local.get $t) (i32.const 3))))
                (local.set $len (i32.sub (local.get $bins) (i32.const 1)))
                (if (i32.le_s (local.get $len) (i32.const 24))
                  (then
                    ;; up to 24 bounds: counted two at a time (lanes of all ones subtract as -1)
                    (local.set $acc (v128.const i64x2 0 0))
                    (local.set $xx (f64x2.splat (local.get $x)))
                    (local.set $b (i32.add (local.get $a) (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3))))
                    (block $paired
                      (loop $pair
                        (br_if $paired (i32.ge_u (local.get $a) (local.get $b)))
                        (local.set $acc (i64x2.sub (local.get $acc) (f64x2.lt (v128.load align=8 (local.get $a)) (local.get $xx))))
                        (local.set $a (i32.add (local.get $a) (i32.const 16)))
                        (br $pair)))
                    (local.set $bin
                      (i32.add
                        (i32.wrap_i64 (i64.add (i64x2.extract_lane 0 (local.get $acc)) (i64x2.extract_lane 1 (local.get $acc))))
                        (select
                          (f64.lt (f64.load (local.get $a)) (local.get $x))
                          (i32.const 0)
                          (i32.and (local.get $len) (i32.const 1))))))
                  (else
                    (local.set $b (local.get $a))
                    (block $found
                      (loop $halve
                        (br_if $found (i32.le_s (local.get $len) (i32.const 1)))
                        (local.set $half (i32.shr_u (local.get $len) (i32.const 1)))
                        ;; b += half * (bound[b + half - 1] < x), in bytes
                        (local.set $b
                          (i32.add (local.get $b)
                            (i32.mul (i32.shl (local.get $half) (i32.const 3))
                              (f64.lt
                                (f64.load (i32.sub (i32.add (local.get $b) (i32.shl (local.get $half) (i32.const 3))) (i32.const 8)))
                                (local.get $x)))))
                        (local.set $len (i32.sub (local.get $len) (local.get $half)))
                        (br $halve)))
                    (local.set $bin
                      (i32.add
                        (i32.shr_u (i32.sub (local.get $b) (local.get $a)) (i32.const 3))
                        (f64.lt (f64.load (local.get $b)) (local.get $x))))))))
            (local.set $t (i32.sub (i32.add (local.get $t) (local.get $bins)) (i32.const 1))))
          (else
            ;; OTHER: the binning's own map, in JavaScript
            (if (i32.eq (local.get $kind) (i32.const 3)) (then (return (i32.const -1))))
            (local.set $residual (i32.sub (local.get $bins) (i32.const 2)))
            (local.set $sym (i32.load (i32.add (local.get $symbols) (i32.shl (local.get $id) (i32.const 2)))))
            (if (i32.eq (local.get $sym) (i32.const -3))
              ;; SYMBOL_MISSING: the missing bin
              (then (local.set $bin (i32.add (local.get $residual) (i32.const 1))))
              (else
                (if (i32.lt_s (local.get $sym) (i32.const 0))
                  ;; a symbol no model groups: the residual group
                  (then (local.set $bin (local.get $residual)))
                  (else
                    (local.set $table (i32.load offset=12 (local.get $m)))
                    (if (i32.eq (local.get $kind) (i32.const 1))
                      (then
                        ;; DENSE: a byte per symbol number below the table's length (255: residual)
                        (local.set $group (i32.const 255))
                        (if (i32.lt_u (local.get $sym) (i32.shr_u (local.get $table) (i32.const 16)))
                          (then
                            (local.set $group
                              (i32.load8_u
                                (i32.add (local.get $groups)
                                  (i32.add (i32.and (local.get $table) (i32.const 0xffff)) (local.get $sym)))))))
                        (local.set $bin
                          (select (local.get $residual) (local.get $group) (i32.eq (local.get $group) (i32.const 255)))))
                      (else
                        ;; HASHED: open addressing, slots number << 8 | group, -1 empty
                        (local.set $bin (local.get $residual))
                        (local.set $bits (i32.shr_u (local.get $table) (i32.const 24)))
                        (local.set $table (i32.and (local.get $table) (i32.const 0xffffff)))
                        (local.set $mask (i32.sub (i32.shl (i32.const 1) (local.get $bits)) (i32.const 1)))
                        (local.set $h
                          (i32.shr_u (i32.mul (local.get $sym) (i32.const 0x9e3779b1)) (i32.sub (i32.const 32) (local.get $bits))))
                        (block $probed
                          (loop $probe
                            (local.set $slot
                              (i32.load (i32.add (local.get $hash) (i32.shl (i32.add (local.get $table) (local.get $h)) (i32.const 2)))))
                            (br_if $probed (i32.eq (local.get $slot) (i32.const -1)))
                            (if (i32.eq (i32.shr_u (local.get $slot) (i32.const 8)) (local.get $sym))
                              (then
                                (local.set $bin (i32.and (local.get $slot) (i32.const 255)))
                                (br $probed)))
                            (local.set $h (i32.and (i32.add (local.get $h) (i32.const 1)) (local.get $mask)))
                            (br $probe)))))))))))
        (local.set $t (i32.add (local.get $t) (local.get $bin)))
        ;; a cell not computed at this version of the model: JavaScript computes it
        (if (i32.eqz (i32.and (i32.shr_u (i32.load offset=16 (local.get $m)) (local.get $bin)) (i32.const 1)))
          (then (return (i32.const -1))))
        ;; a bin that is no evidence holds 0 and no evidence bit
        (local.set $sum (f64.add (local.get $sum) (f64.load (i32.add (local.get $num) (i32.shl (local.get $t) (i32.const 3))))))
        (local.set $n (i32.add (local.get $n) (i32.and (i32.shr_u (i32.load offset=20 (local.get $m)) (local.get $bin)) (i32.const 1))))
        (local.set $m (i32.add (local.get $m) (i32.const 24)))
        (br $predictor)))
    (f64.store (local.get $out) (f64.div (local.get $sum) (f64.convert_i32_s (i32.add (local.get $n) (i32.const 1)))))
    (local.get $n)))
