//! Counts of work done: multiply-adds executed by matrix-product and convolution kernels, the
//! wall time spent in each kind of heavy kernel, and tensors alive, so that benchmarks report
//! achieved GFLOP/s and where the time goes, and tests can prove that each step's graph is
//! freed.

use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use std::time::Instant;

static MACS: AtomicU64 = AtomicU64::new(0);
static MODEL_MACS: AtomicU64 = AtomicU64::new(0);
static LIVE_TENSORS: AtomicIsize = AtomicIsize::new(0);

/// Adds `macs` multiply-adds executed by a matrix-product kernel to the running count.
pub(crate) fn record_macs(macs: usize) {
    MACS.fetch_add(macs as u64, Ordering::Relaxed);
}

/// Adds the multiply-adds of one matrix product or convolution as the model defines it
/// (every tap of every output, the zero padding included).
pub(crate) fn record_model_macs(macs: usize) {
    MODEL_MACS.fetch_add(macs as u64, Ordering::Relaxed);
}

/// Multiply-adds executed by all matrix products (convolutions included) so far. Convolutions
/// execute fewer than the model defines: their products leave out the taps that read the
/// zero padding.
pub fn macs_executed() -> u64 {
    MACS.load(Ordering::Relaxed)
}

/// Multiply-adds of every matrix product and convolution run so far, as the model defines
/// them: the count that FLOP counters (and PyTorch's) report, padding included.
pub fn model_macs() -> u64 {
    MODEL_MACS.load(Ordering::Relaxed)
}

pub(crate) fn tensor_created() {
    LIVE_TENSORS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn tensor_dropped() {
    LIVE_TENSORS.fetch_sub(1, Ordering::Relaxed);
}

/// Tensor nodes currently alive in this process (all element types).
pub fn live_tensors() -> isize {
    LIVE_TENSORS.load(Ordering::Relaxed)
}

/// The kinds of heavy kernel whose wall time is accumulated (see [`timed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelKind {
    /// Convolutions and their two adjoints: lowering, matrix products and layout together.
    Conv,
    /// Other matrix products (linear layers).
    Matmul,
}

impl KernelKind {
    /// Every kind, in report order.
    pub const ALL: [KernelKind; 2] = [KernelKind::Conv, KernelKind::Matmul];

    /// A short lower-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Conv => "conv",
            KernelKind::Matmul => "matmul",
        }
    }
}

static KERNEL_NANOS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Runs `f`, adding its wall time to `kind`'s total. Kernels are timed from the calling
/// thread, so a kernel running on several threads counts once, for as long as it takes.
pub(crate) fn timed<R>(kind: KernelKind, f: impl FnOnce() -> R) -> R {
    let start = Instant::now();
    let out = f();
    KERNEL_NANOS[kind as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    out
}

/// Seconds of wall time spent so far in kernels of `kind`.
pub fn kernel_seconds(kind: KernelKind) -> f64 {
    KERNEL_NANOS[kind as usize].load(Ordering::Relaxed) as f64 * 1e-9
}
