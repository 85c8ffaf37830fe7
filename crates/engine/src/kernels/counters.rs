//! Counts of work done: multiply-adds executed by matrix-product and convolution kernels, and
//! tensors alive, so that benchmarks report achieved GFLOP/s and tests can prove that each
//! step's graph is freed.

use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};

static MACS: AtomicU64 = AtomicU64::new(0);
static LIVE_TENSORS: AtomicIsize = AtomicIsize::new(0);

/// Adds `macs` multiply-adds to the running count.
pub(crate) fn record_macs(macs: usize) {
    MACS.fetch_add(macs as u64, Ordering::Relaxed);
}

/// Multiply-adds executed by all matrix products (convolutions included) so far.
pub fn macs_executed() -> u64 {
    MACS.load(Ordering::Relaxed)
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
