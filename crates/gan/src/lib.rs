//! gantry-gan
