//! gantry-gan
pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod ebgan;
pub mod metrics;
pub mod model;
pub mod objective;
pub mod penalty;
