//! Neural-network pieces on gantry's engine: layers, a serialisable description of a layer
//! stack, and the reference generator and critic presets (the official WGAN-GP MNIST DCGAN
//! and an MLP pair).
//!
//! ```
//! use gantry_engine::{no_grad, Rng, Tensor};
//! use gantry_nn::{presets, Network};
//!
//! let mut rng = Rng::new(0);
//! let spec = presets::dcgan_generator(16, 1, 28, None);
//! let g = Network::build(&spec, &[128], &mut rng).unwrap();
//! let z: Tensor = rng.normal(&[2, 128]);
//! let images = no_grad(|| g.forward(&z));
//! assert_eq!(images.shape(), &[2, 1, 28, 28]);
//! ```

mod layer;
mod network;
pub mod presets;
mod spec;

pub use layer::Layer;
pub use network::{Network, NetworkError};
pub use spec::{Activation, LayerSpec, NormKind};
