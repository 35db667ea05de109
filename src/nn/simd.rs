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

/// Lanes of the row sums, in `[f32; W]` blocks, each compiled as straight-line vector code
/// (rows of a few dozen values are too short for the auto-vectoriser's unrolled loops); the
/// rest is added one value at a time, value `i` always into lane `i % W`.
pub(crate) const W: usize = 8;

/// Adds the `W` lanes of `acc` in a fixed tree.
#[inline(always)]
fn reduce(acc: [f32; W]) -> f32 {
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

/// `sum_i f(a[i])` in `W` interleaved partial sums, so it vectorises; the order of the
/// additions is fixed, so the result does not depend on the instruction set.
#[inline(always)]
pub(crate) fn lane_sum(a: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let (blocks, rest) = a.as_chunks::<W>();
    let mut acc = [0.0f32; W];
    for block in blocks {
        for k in 0..W {
            acc[k] += f(block[k]);
        }
    }
    for (k, &a) in rest.iter().enumerate() {
        acc[k] += f(a);
    }
    reduce(acc)
}
