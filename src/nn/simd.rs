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
