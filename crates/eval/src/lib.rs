//! gantry-eval
pub mod error;
pub mod features;
pub mod frechet;
pub mod precision_recall;
pub mod score;
