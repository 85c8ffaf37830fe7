//! gantry-nn
