//! Tuning of the C allocator for a training loop that frees and re-allocates the same large
//! buffers (activations, lowered inputs, gradients) every step.
//!
//! By default glibc returns buffers of more than 128 KiB to the system on free and gives back
//! the top of the heap beyond a few hundred KiB, so each step touches fresh pages again: page
//! faults and page zeroing by the kernel cost about a fifth of a WGAN-GP step's CPU time.

/// Keeps freed buffers of up to 32 MiB in the heap for reuse, and keeps up to 1 GiB of freed
/// heap instead of returning it to the system. Only glibc on Linux is tuned; elsewhere this
/// does nothing.
pub(crate) fn keep_freed_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: `mallopt` is glibc's, which std links on this target; it only changes
        // allocator thresholds, with values inside the documented ranges.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_TRIM_THRESHOLD, 1 << 30);
        }
    }
}
