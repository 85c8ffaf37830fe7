//! gantry-engine
