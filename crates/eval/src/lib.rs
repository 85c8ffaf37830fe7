//! gantry-eval
