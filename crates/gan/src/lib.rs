//! gantry-gan
pub mod augment;
pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod ebgan;
pub mod metrics;
pub mod model;
pub mod objective;
pub mod penalty;
pub mod run_state;
pub mod samples;
pub mod schedule;
pub mod trainer;
