//! CPU kernels: matrix products on the `gemm` crate, convolutions mapped onto them window by
//! window, element-wise maps, broadcasting and reductions. Kernels work on plain slices and know
//! nothing of the graph.

mod alloc;
pub mod broadcast;
mod buffer;
pub mod conv;
pub mod counters;
pub mod elementwise;
mod layout;
pub mod matmul;
pub mod peak;
pub mod threads;
mod windows;
