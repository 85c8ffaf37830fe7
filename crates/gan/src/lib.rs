//! gantry-gan
pub mod checkpoint;
pub mod config;
pub mod metrics;
