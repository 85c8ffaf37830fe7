//! The thread count every kernel honours.

use std::sync::atomic::{AtomicUsize, Ordering};

static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of threads kernels may use (0 means all cores) and sizes the global rayon
/// pool to match. The pool can only be sized once per process; later calls change how many
/// threads the kernels ask for, never more than the pool holds. Also has the C allocator keep
/// freed large buffers for reuse (see [`super::alloc`]), which spares the page faults of
/// touching fresh memory on every training step.
pub fn set_threads(n: usize) {
    super::alloc::keep_freed_buffers();
    let n = if n == 0 { available_cores() } else { n };
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
    THREADS.store(n.min(rayon::current_num_threads()), Ordering::Relaxed);
}

/// Runs `op` on a thread of the kernels' pool and waits for it. A training step run from
/// the main thread hands every parallel part of every kernel across to the pool and sleeps
/// until it returns; run on a pool thread, the step takes its own share of each kernel's
/// parts, and the context switches per step fall about twentyfold.
pub fn on_pool<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| op())
}

/// The number of threads kernels use.
pub fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => rayon::current_num_threads().max(1),
        n => n,
    }
}

/// The number of cores this process may run on.
pub fn available_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Splits `len` items into at most `threads()` contiguous chunks of at least `min_chunk`
/// items each; returns the chunk length.
pub fn chunk_len(len: usize, min_chunk: usize) -> usize {
    let parts = threads().min(len.div_ceil(min_chunk.max(1))).max(1);
    len.div_ceil(parts).max(1)
}
