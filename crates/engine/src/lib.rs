//! gantry's tensor engine: n-d tensors of `f32` or `f64`, reverse-mode automatic
//! differentiation with higher-order gradients, and CPU kernels built on the `gemm` crate.
//!
//! The engine knows nothing of GANs. A gradient of a gradient, as the WGAN-GP penalty needs:
//!
//! ```
//! use gantry_engine::{grad, Tensor};
//!
//! let x = Tensor::<f64>::from_vec(vec![1.0, 2.0], &[2]).requires_grad_();
//! let y = x.powf(3.0).sum();                          // y = Σ x³
//! let dx = &grad(&[y], &[x.clone()], true)[0];         // 3x², differentiable
//! let ddx = &grad(&[dx.sum()], &[x], false)[0];        // 6x
//! assert_eq!(ddx.data(), &[6.0, 12.0]);
//! ```

pub mod autograd;
mod element;
mod grad_mode;
pub mod gradcheck;
pub mod init;
pub mod kernels;
mod ops;
pub mod optim;
mod rng;
mod tensor;

pub use autograd::{grad, grad_with};
pub use element::Element;
pub use grad_mode::{is_grad_enabled, no_grad, set_grad_enabled, GradModeGuard};
pub use kernels::threads::{available_cores, on_pool, set_threads, threads};
pub use ops::{conv2d, conv_transpose2d};
pub use rng::Rng;
pub use tensor::{numel, Tensor};
