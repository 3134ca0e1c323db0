;; A read chunk's bytes, checked where JavaScript is slowest at it: a byte at a time over 64 KB
;; (audience/chunk-bytes.ts loads them and says what each answer means). Compiled by
;; scripts/gen-wasm.mjs into chunk-wasm.generated.ts.
;;
;; Memory: the character classes at 0..255 (a data segment), the chunk from CHUNK = 256 on.
(module
  (memory (export "memory") 2)
  ;; Per byte: 1 atext (RFC 5322, the local part's characters besides the dot), 2 a letter or
  ;; digit (a domain label's). Letters and digits are 3; the other atext characters 1.
  (data (i32.const 48) "\03\03\03\03\03\03\03\03\03\03")
  (data (i32.const 65) "\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03")
  (data (i32.const 97) "\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03")
  ;; ! # $ % & ' * + - / = ? ^ _ ` { | } ~
  (data (i32.const 33) "\01")
  (data (i32.const 35) "\01\01\01\01\01")
  (data (i32.const 42) "\01\01")
  (data (i32.const 45) "\01")
  (data (i32.const 47) "\01")
  (data (i32.const 61) "\01")
  (data (i32.const 63) "\01")
  (data (i32.const 94) "\01\01\01")
  (data (i32.const 123) "\01\01\01\01")

  ;; The chunk's first $len bytes: 2 when they hold a backslash, or a control character other than
  ;; a line feed and a carriage return right before one (dirty); else 1 when a byte is not ASCII,
  ;; 0 when every one is. Sixty-four bytes a step, then sixteen; a step with a byte to look at is
  ;; looked at byte by byte.
  (func (export "check") (param $len i32) (result i32)
    (local $i i32) (local $end i32) (local $high v128)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $backslash v128) (local $space v128) (local $lf v128)
    (local.set $backslash (i8x16.splat (i32.const 92)))
    (local.set $space (i8x16.splat (i32.const 32)))
    (local.set $lf (i8x16.splat (i32.const 10)))
    (local.set $i (i32.const 256))
    (local.set $len (i32.add (i32.const 256) (local.get $len)))
    (local.set $end (i32.sub (local.get $len) (i32.const 64)))
    (block $done
      (loop $step
        (br_if $done (i32.gt_s (local.get $i) (local.get $end)))
        (local.set $a (v128.load (local.get $i)))
        (local.set $b (v128.load offset=16 (local.get $i)))
        (local.set $c (v128.load offset=32 (local.get $i)))
        (local.set $d (v128.load offset=48 (local.get $i)))
        (local.set $high
          (v128.or (local.get $high)
            (v128.or (v128.or (local.get $a) (local.get $b)) (v128.or (local.get $c) (local.get $d)))))
        (if (v128.any_true
              (v128.or
                (v128.or
                  (v128.or
              (i8x16.eq (local.get $a) (local.get $backslash))
              (v128.andnot
                (i8x16.lt_u (local.get $a) (local.get $space))
                (i8x16.eq (local.get $a) (local.get $lf))))
                  (v128.or
              (i8x16.eq (local.get $b) (local.get $backslash))
              (v128.andnot
                (i8x16.lt_u (local.get $b) (local.get $space))
                (i8x16.eq (local.get $b) (local.get $lf)))))
                (v128.or
                  (v128.or
              (i8x16.eq (local.get $c) (local.get $backslash))
              (v128.andnot
                (i8x16.lt_u (local.get $c) (local.get $space))
                (i8x16.eq (local.get $c) (local.get $lf))))
                  (v128.or
              (i8x16.eq (local.get $d) (local.get $backslash))
              (v128.andnot
                (i8x16.lt_u (local.get $d) (local.get $space))
                (i8x16.eq (local.get $d) (local.get $lf)))))))
          (then
            (if (call $dirty (local.get $i) (i32.add (local.get $i) (i32.const 64)) (local.get $len))
              (then (return (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $step)))
    (local.set $end (i32.sub (local.get $len) (i32.const 16)))
    (block $done
      (loop $step
        (br_if $done (i32.gt_s (local.get $i) (local.get $end)))
        (local.set $a (v128.load (local.get $i)))
        (local.set $high (v128.or (local.get $high) (local.get $a)))
        (if (v128.any_true (v128.or
              (i8x16.eq (local.get $a) (local.get $backslash))
              (v128.andnot
                (i8x16.lt_u (local.get $a) (local.get $space))
                (i8x16.eq (local.get $a) (local.get $lf)))))
          (then
            (if (call $dirty (local.get $i) (i32.add (local.get $i) (i32.const 16)) (local.get $len))
              (then (return (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $step)))
    (if (call $dirty (local.get $i) (local.get $len) (local.get $len)) (then (return (i32.const 2))))
    ;; The last bytes' high bits join the steps' (a byte's sign is its high bit).
    (block $tail
      (loop $byte
        (br_if $tail (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.ge_u (i32.load8_u (local.get $i)) (i32.const 128)) (then (return (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i32.ne (i8x16.bitmask (local.get $high)) (i32.const 0)))

  ;; 1 when the bytes from $from to $to hold what makes a chunk dirty; the chunk ends at $len.
  (func $dirty (param $from i32) (param $to i32) (param $len i32) (result i32)
    (local $b i32)
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
        (local.set $b (i32.load8_u (local.get $from)))
        (if (i32.eq (local.get $b) (i32.const 92)) (then (return (i32.const 1))))
        (if (i32.and (i32.lt_u (local.get $b) (i32.const 32)) (i32.ne (local.get $b) (i32.const 10)))
          (then
            (if (i32.ne (local.get $b) (i32.const 13)) (then (return (i32.const 1))))
            (if (i32.ge_u (i32.add (local.get $from) (i32.const 1)) (local.get $len))
              (then (return (i32.const 1))))
            (if (i32.ne (i32.load8_u (i32.add (local.get $from) (i32.const 1))) (i32.const 10))
              (then (return (i32.const 1))))))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (br $byte)))
    (i32.const 0))

  ;; 1 when the chunk's bytes from $from to $to are the usual address, as audience/email-fast.ts
  ;; COMMON matches it: 1 to 64 characters; atext runs joined by single dots; one @; two or more
  ;; labels of letters, digits and inner hyphens, joined by single dots. 0 says nothing: the
  ;; caller decides the slice.
  (func (export "email") (param $from i32) (param $to i32) (result i32)
    (local $c i32) (local $run i32) (local $dots i32) (local $last i32)
    (if (i32.gt_u (i32.sub (local.get $to) (local.get $from)) (i32.const 64)) (then (return (i32.const 0))))
    (local.set $from (i32.add (i32.const 256) (local.get $from)))
    (local.set $to (i32.add (i32.const 256) (local.get $to)))
    ;; The local part, up to the @.
    (block $at
      (loop $local
        (if (i32.ge_u (local.get $from) (local.get $to)) (then (return (i32.const 0))))
        (local.set $c (i32.load8_u (local.get $from)))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (if (i32.and (i32.load8_u (local.get $c)) (i32.const 1))
          (then
            (local.set $run (i32.add (local.get $run) (i32.const 1)))
            (br $local)))
        (if (i32.eqz (local.get $run)) (then (return (i32.const 0))))
        (br_if $at (i32.eq (local.get $c) (i32.const 64)))
        (if (i32.ne (local.get $c) (i32.const 46)) (then (return (i32.const 0))))
        (local.set $run (i32.const 0))
        (br $local)))
    ;; The domain: $run counts the label's characters, $last is its last one.
    (local.set $run (i32.const 0))
    (block $end
      (loop $domain
        (br_if $end (i32.ge_u (local.get $from) (local.get $to)))
        (local.set $c (i32.load8_u (local.get $from)))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (if (i32.and (i32.load8_u (local.get $c)) (i32.const 2))
          (then
            (local.set $run (i32.add (local.get $run) (i32.const 1)))
            (local.set $last (local.get $c))
            (br $domain)))
        (if (i32.eq (local.get $c) (i32.const 45))
          (then
            (if (i32.eqz (local.get $run)) (then (return (i32.const 0))))
            (local.set $run (i32.add (local.get $run) (i32.const 1)))
            (local.set $last (local.get $c))
            (br $domain)))
        (if (i32.ne (local.get $c) (i32.const 46)) (then (return (i32.const 0))))
        (if (i32.or (i32.eqz (local.get $run)) (i32.eq (local.get $last) (i32.const 45)))
          (then (return (i32.const 0))))
        (local.set $dots (i32.add (local.get $dots) (i32.const 1)))
        (local.set $run (i32.const 0))
        (br $domain)))
    (i32.and
      (i32.and (i32.ne (local.get $dots) (i32.const 0)) (i32.ne (local.get $run) (i32.const 0)))
      (i32.ne (local.get $last) (i32.const 45))))
)
