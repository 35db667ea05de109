//! Runtime instruction-set dispatch for the element-wise loops of the training core.
//!
//! The build targets plain x86-64 (SSE2), so a loop compiled normally never uses AVX2, FMA or
//! AVX-512 even where the CPU has them. [`vectorized`] runs a closure inside a function
//! compiled for the best instruction set the CPU reports (detected once), through `pulp`'s
//! safe dispatch: the closure's loops, inlined there, are auto-vectorised for that set.
//!
//! The closure and every function it calls on its hot path must be inlined into it
//! (`#[inline(always)]`), or they are compiled for the baseline only. Auto-vectorisation never
//! reassociates floating-point sums nor fuses multiplies and adds, so results are bit-for-bit
//! those of the baseline build.

use std::sync::LazyLock;

/// The instruction set detected at first use.
static ARCH: LazyLock<pulp::Arch> = LazyLock::new(pulp::Arch::new);

/// Runs `f` compiled for the CPU's best instruction set (see the module documentation).
#[inline(always)]
pub(crate) fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    ARCH.dispatch(f)
}

/// Values per fixed-width block of the row sums: one AVX-512 register (two AVX2 ones). Rows
/// of a few dozen values are too short for the auto-vectoriser's unrolled loops, so the sums
/// work on whole `[f32; W]` blocks, each compiled as straight-line vector code, and finish
/// the rest one value at a time.
pub(crate) const W: usize = 16;

/// Adds the `W` lanes of `acc` in a fixed tree.
#[inline(always)]
fn reduce(acc: [f32; W]) -> f32 {
    let mut half = [0.0f32; W / 2];
    for k in 0..W / 2 {
        half[k] = acc[k] + acc[k + W / 2];
    }
    let q = [
        half[0] + half[4],
        half[1] + half[5],
        half[2] + half[6],
        half[3] + half[7],
    ];
    (q[0] + q[2]) + (q[1] + q[3])
}

/// `sum_i f(a[i], b[i], c[i])` (over the shortest slice's length) in `W` interleaved partial
/// sums, so it vectorises; the order of the additions is fixed, so the result does not depend
/// on the instruction set.
#[inline(always)]
pub(crate) fn lane_sum3(a: &[f32], b: &[f32], c: &[f32], f: impl Fn(f32, f32, f32) -> f32) -> f32 {
    let n = a.len().min(b.len()).min(c.len());
    let (a, b, c) = (&a[..n], &b[..n], &c[..n]);
    let (ab, ar) = a.as_chunks::<W>();
    let (bb, br) = b.as_chunks::<W>();
    let (cb, cr) = c.as_chunks::<W>();
    let mut acc = [0.0f32; W];
    for ((a, b), c) in ab.iter().zip(bb).zip(cb) {
        for k in 0..W {
            acc[k] += f(a[k], b[k], c[k]);
        }
    }
    for (k, ((&a, &b), &c)) in ar.iter().zip(br).zip(cr).enumerate() {
        acc[k] += f(a, b, c);
    }
    reduce(acc)
}

/// `sum_i f(a[i], b[i])`, as [`lane_sum3`].
#[inline(always)]
pub(crate) fn lane_sum2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    lane_sum3(a, b, b, |a, b, _| f(a, b))
}

/// `sum_i f(a[i])`, as [`lane_sum3`].
#[inline(always)]
pub(crate) fn lane_sum(a: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    lane_sum3(a, a, a, |a, _, _| f(a))
}
