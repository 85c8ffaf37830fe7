//! Differentiable operations. Each op computes its output and states its backward rule right
//! beside it, in tensor ops, so that the rule itself can be differentiated again.

mod binary;
mod conv;
mod matmul;
mod norm;
mod reduce;
mod shape;
mod unary;

pub use conv::{conv2d, conv_transpose2d};
