//! gantry-eval
pub mod error;
pub mod features;
pub mod frechet;
pub mod modes;
pub mod precision_recall;
pub mod report;
pub mod score;
pub mod bars;
pub mod plots;
