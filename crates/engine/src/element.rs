//! The element types a tensor can hold: `f32` for training, `f64` for gradient checks.

use std::fmt::{Debug, Display};
use std::iter::Sum;

/// A floating-point scalar the engine computes with.
///
/// Implemented for `f32` (training) and `f64` (finite-difference gradient checks).
pub trait Element:
    num_traits::Float
    + num_traits::FromPrimitive
    + Copy
    + Default
    + Debug
    + Display
    + Sum
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::MulAssign
    + Send
    + Sync
    + 'static
{
    /// The type's name, for messages.
    const NAME: &'static str;

    /// Converts from `f64`, rounding when `Self` is narrower.
    fn from_f64_lossy(v: f64) -> Self;

    /// Widens to `f64`.
    fn to_f64_lossless(self) -> f64;
}

impl Element for f32 {
    const NAME: &'static str = "f32";

    fn from_f64_lossy(v: f64) -> Self {
        v as f32
    }

    fn to_f64_lossless(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    const NAME: &'static str = "f64";

    fn from_f64_lossy(v: f64) -> Self {
        v
    }

    fn to_f64_lossless(self) -> f64 {
        self
    }
}

/// Shorthand: converts an `f64` literal to the element type.
pub(crate) fn el<T: Element>(v: f64) -> T {
    T::from_f64_lossy(v)
}
