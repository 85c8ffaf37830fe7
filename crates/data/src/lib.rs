//! gantry-data
