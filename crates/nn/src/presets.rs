//! Reference networks as descriptions: the official WGAN-GP MNIST DCGAN (Gulrajani et al.,
//! 2017) with configurable width `dim`, and an MLP pair.

use crate::spec::{Activation, LayerSpec, NormKind};

const LEAK: Activation = Activation::LeakyRelu { slope: 0.2 };

fn deconv(out: usize) -> LayerSpec {
    LayerSpec::ConvTranspose {
        out,
        kernel: 5,
        stride: 2,
        padding: 2,
        output_padding: 1,
    }
}

fn conv(out: usize) -> LayerSpec {
    LayerSpec::Conv {
        out,
        kernel: 5,
        stride: 2,
        padding: 2,
    }
}

/// The DCGAN generator: Linear(latent → 4·4·4·dim), reshape `[4·dim, s, s]`, three stride-2
/// 5×5 transposed convolutions (4·dim → 2·dim → dim → channels), a ReLU after each layer but
/// the last (preceded by `norm` if given, as in Radford et al., 2016) and a sigmoid at the
/// end. For 28×28 images the 8×8 map after the first transposed convolution is cropped to 7×7,
/// as in the reference. `size` must be a multiple of 4.
pub fn dcgan_generator(
    dim: usize,
    channels: usize,
    size: usize,
    norm: Option<NormKind>,
) -> Vec<LayerSpec> {
    let quarter = size / 4;
    let start = quarter.div_ceil(2);
    let normalised_relu = || {
        let norm = norm.map(|kind| LayerSpec::Norm { kind });
        norm.into_iter()
            .chain([LayerSpec::Activation(Activation::Relu)])
    };
    let mut spec = vec![
        LayerSpec::Linear {
            out: 4 * dim * start * start,
        },
        LayerSpec::Reshape {
            shape: vec![4 * dim, start, start],
        },
    ];
    spec.extend(normalised_relu());
    spec.push(deconv(2 * dim));
    if 2 * start != quarter {
        spec.push(LayerSpec::Crop {
            height: quarter,
            width: quarter,
        });
    }
    spec.extend(normalised_relu());
    spec.push(deconv(dim));
    spec.extend(normalised_relu());
    spec.extend([deconv(channels), LayerSpec::Activation(Activation::Sigmoid)]);
    spec
}

/// The DCGAN critic: three stride-2 5×5 convolutions (channels → dim → 2·dim → 4·dim), each
/// followed by LeakyReLU(0.2) (and `norm` if given), flatten, Linear(→ 1). No sigmoid: the
/// output is an unbounded score.
pub fn dcgan_critic(dim: usize, norm: Option<NormKind>) -> Vec<LayerSpec> {
    let mut spec = Vec::new();
    for (i, out) in [dim, 2 * dim, 4 * dim].into_iter().enumerate() {
        spec.push(conv(out));
        if let (Some(kind), true) = (norm, i > 0) {
            spec.push(LayerSpec::Norm { kind });
        }
        spec.push(LayerSpec::Activation(LEAK));
    }
    spec.extend([LayerSpec::Flatten, LayerSpec::Linear { out: 1 }]);
    spec
}

/// An MLP generator: latent → hidden → hidden → hidden (ReLU) → c·size² (sigmoid), reshaped
/// to an image.
pub fn mlp_generator(hidden: usize, channels: usize, size: usize) -> Vec<LayerSpec> {
    let relu = LayerSpec::Activation(Activation::Relu);
    vec![
        LayerSpec::Linear { out: hidden },
        relu.clone(),
        LayerSpec::Linear { out: hidden },
        relu.clone(),
        LayerSpec::Linear { out: hidden },
        relu,
        LayerSpec::Linear {
            out: channels * size * size,
        },
        LayerSpec::Activation(Activation::Sigmoid),
        LayerSpec::Reshape {
            shape: vec![channels, size, size],
        },
    ]
}

/// An MLP critic: flatten → hidden ×3 (LeakyReLU 0.2) → 1.
pub fn mlp_critic(hidden: usize) -> Vec<LayerSpec> {
    let leak = LayerSpec::Activation(LEAK);
    vec![
        LayerSpec::Flatten,
        LayerSpec::Linear { out: hidden },
        leak.clone(),
        LayerSpec::Linear { out: hidden },
        leak.clone(),
        LayerSpec::Linear { out: hidden },
        leak,
        LayerSpec::Linear { out: 1 },
    ]
}

/// The EBGAN auto-encoder critic: encoder conv(channels → dim) LeakyReLU, conv(dim → 2·dim)
/// LeakyReLU (stride 2, 5×5: size/4 codes); decoder transposed conv(2·dim → dim) ReLU,
/// transposed conv(dim → channels) sigmoid back to the image. `size` a multiple of 4.
pub fn ebgan_critic(dim: usize, channels: usize) -> Vec<LayerSpec> {
    vec![
        conv(dim),
        LayerSpec::Activation(LEAK),
        conv(2 * dim),
        LayerSpec::Activation(LEAK),
        deconv(dim),
        LayerSpec::Activation(Activation::Relu),
        deconv(channels),
        LayerSpec::Activation(Activation::Sigmoid),
    ]
}

/// Number of leading layers of an auto-encoder description that form its encoder: those
/// before the first transposed convolution (half the layers when there is none).
pub fn encoder_len(spec: &[LayerSpec]) -> usize {
    spec.iter()
        .position(|l| matches!(l, LayerSpec::ConvTranspose { .. }))
        .unwrap_or(spec.len() / 2)
}

/// A LeNet-style classifier for evaluation, with stride-2 convolutions in place of pooling:
/// conv(channels → width, 5×5, s2) ReLU, conv(width → 2·width, 5×5, s2) ReLU, flatten,
/// Linear(→ features) ReLU, Linear(features → classes) logits. The output of the last ReLU
/// (all layers but the last) is the embedding `gantry eval` measures distances in.
pub fn lenet_classifier(width: usize, features: usize, classes: usize) -> Vec<LayerSpec> {
    let relu = LayerSpec::Activation(Activation::Relu);
    vec![
        conv(width),
        relu.clone(),
        conv(2 * width),
        relu.clone(),
        LayerSpec::Flatten,
        LayerSpec::Linear { out: features },
        relu,
        LayerSpec::Linear { out: classes },
    ]
}

#[cfg(test)]
mod tests {
    use gantry_engine::{no_grad, Rng, Tensor};

    use super::*;
    use crate::Network;

    #[test]
    fn reference_dcgan_has_the_official_shapes_and_size() {
        let mut rng = Rng::new(0);
        let g =
            Network::build(&dcgan_generator(64, 1, 28, None), &[128], &mut rng).expect("builds");
        let c = Network::build(&dcgan_critic(64, None), &[1, 28, 28], &mut rng).expect("builds");
        assert_eq!(g.output_shape(), &[1, 28, 28]);
        assert_eq!(c.output_shape(), &[1]);
        // PyTorch's reference model: G 1,193,985 + 8,388,609... counted from its layers.
        assert_eq!(
            g.num_params(),
            128 * 4096 + 4096 + 256 * 128 * 25 + 128 + 128 * 64 * 25 + 64 + 64 * 25 + 1
        );
        assert_eq!(
            c.num_params(),
            64 * 25 + 64 + 64 * 128 * 25 + 128 + 128 * 256 * 25 + 256 + 4096 + 1
        );
        let z: Tensor = rng.normal(&[3, 128]);
        let x = no_grad(|| g.forward(&z));
        assert!(x.data().iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert_eq!(no_grad(|| c.forward(&x)).shape(), &[3, 1]);
    }

    #[test]
    fn dcgan_fits_32_pixel_rgb_and_mlp_builds() {
        let mut rng = Rng::new(0);
        let g = Network::build(
            &dcgan_generator(8, 3, 32, Some(NormKind::Batch)),
            &[16],
            &mut rng,
        )
        .expect("builds");
        assert_eq!(g.output_shape(), &[3, 32, 32]);
        let m = Network::build(&mlp_generator(32, 1, 28), &[16], &mut rng).expect("builds");
        assert_eq!(m.output_shape(), &[1, 28, 28]);
        let c = Network::build(&mlp_critic(32), &[1, 28, 28], &mut rng).expect("builds");
        assert_eq!(c.output_shape(), &[1]);
    }

    #[test]
    fn a_layer_that_does_not_fit_names_itself() {
        let spec = [
            LayerSpec::Flatten,
            LayerSpec::Conv {
                out: 4,
                kernel: 5,
                stride: 2,
                padding: 2,
            },
        ];
        let err = Network::build(&spec, &[1, 28, 28], &mut Rng::new(0)).unwrap_err();
        assert!(err.to_string().starts_with("layer 1 (Conv"), "{err}");
    }
}
