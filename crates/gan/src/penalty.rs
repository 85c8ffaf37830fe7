//! Gradient penalties on the critic (Gulrajani et al., 2017; Petzka et al., 2018).
//!
//! x̂ is drawn on the segment between a real and a generated image, one uniform weight per
//! sample; the penalty is λ·mean_i φ(‖∇x̂ D(x̂_i)‖₂ − 1) with the norm taken per sample over
//! all of its pixels (never per pixel), φ(t) = t² (two-sided) or max(0, t)² (one-sided).

use gantry_engine::{grad, Rng, Tensor};
use gantry_nn::Network;

/// Which side of ‖∇D‖ = 1 is penalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sides {
    /// (‖∇D‖ − 1)²: WGAN-GP.
    Two,
    /// max(0, ‖∇D‖ − 1)²: WGAN-LP.
    One,
}

/// The penalty term and the mean gradient norm it saw.
pub struct Penalty {
    /// λ·mean φ(‖∇D(x̂)‖ − 1), differentiable in the critic's weights.
    pub loss: Tensor,
    /// Mean over the batch of ‖∇x̂ D(x̂)‖₂, for the logs.
    pub grad_norm: f32,
}

/// Points on the segments between `real` and `fake` (`[n, …]` each), one uniform weight per
/// sample, as a leaf that requires a gradient.
pub fn interpolate(real: &Tensor, fake: &Tensor, rng: &mut Rng) -> Tensor {
    let mut weight_shape = vec![real.dim(0)];
    weight_shape.extend(std::iter::repeat_n(1, real.ndim() - 1));
    let alpha: Tensor = rng.uniform(&weight_shape, 0.0, 1.0); // [n, 1, 1, 1]
    let mixed = real.mul(&alpha).add(&fake.mul(&alpha.rsub_scalar(1.0)));
    mixed.detach().requires_grad_()
}

/// Per-sample L2 norms of `g [n, …]` over all non-batch axes: `[n]`.
pub fn per_sample_norm(g: &Tensor) -> Tensor {
    let axes: Vec<usize> = (1..g.ndim()).collect();
    // The tiny constant keeps the derivative of √ finite at a zero gradient.
    g.square().sum_axes(&axes, false).add_scalar(1e-12).sqrt()
}

/// The gradient penalty of `critic` at `x_hat` (a leaf requiring a gradient).
pub fn gradient_penalty(critic: &Network, x_hat: &Tensor, lambda: f64, sides: Sides) -> Penalty {
    let scores = critic.forward(x_hat); // [n, 1]
    let g = &grad(&[scores.sum()], std::slice::from_ref(x_hat), true)[0]; // [n, c, h, w]
    let norms = per_sample_norm(g); // [n]
    let excess = norms.add_scalar(-1.0);
    let excess = match sides {
        Sides::Two => excess,
        Sides::One => excess.relu(),
    };
    let grad_norm = norms.data().iter().sum::<f32>() / norms.numel() as f32;
    Penalty {
        loss: excess.square().mean().mul_scalar(lambda as f32),
        grad_norm,
    }
}

#[cfg(test)]
mod tests {
    use gantry_nn::LayerSpec;

    use super::*;

    fn linear_critic(weights: &[f32]) -> Network {
        let spec = [LayerSpec::Flatten, LayerSpec::Linear { out: 1 }];
        let mut critic = Network::build(&spec, &[1, 2, 2], &mut Rng::new(0)).expect("builds");
        critic
            .load(&[
                ("1.weight".into(), vec![1, 4], weights.to_vec()),
                ("1.bias".into(), vec![1], vec![0.5]),
            ])
            .expect("fits");
        critic
    }

    #[test]
    fn penalty_uses_the_norm_over_all_pixels_of_each_sample() {
        // ∇D = w for a linear critic; ‖w‖ = √(0.09+0.16+1.44+0.36) ≈ 1.4318.
        let critic = linear_critic(&[0.3, -0.4, 1.2, 0.6]);
        let x_hat = Rng::new(1)
            .uniform::<f32>(&[5, 1, 2, 2], 0.0, 1.0)
            .requires_grad_();
        let p = gradient_penalty(&critic, &x_hat, 10.0, Sides::Two);
        let norm = 2.05f32.sqrt();
        assert!((p.grad_norm - norm).abs() < 1e-5);
        assert!((p.loss.item() - 10.0 * (norm - 1.0).powi(2)).abs() < 1e-4);
        // A per-pixel norm would give 10·mean(|w_j| − 1)² = 2.9125 instead of 1.8645.
        assert!((p.loss.item() - 2.9125).abs() > 0.5);
    }

    #[test]
    fn one_sided_penalty_ignores_small_gradients() {
        let critic = linear_critic(&[0.1, 0.2, -0.1, 0.3]);
        let x_hat = Tensor::<f32>::zeros(&[2, 1, 2, 2]).requires_grad_();
        assert!(
            gradient_penalty(&critic, &x_hat, 10.0, Sides::One)
                .loss
                .item()
                == 0.0
        );
        assert!(
            gradient_penalty(&critic, &x_hat, 10.0, Sides::Two)
                .loss
                .item()
                > 1.0
        );
    }

    #[test]
    fn interpolates_lie_between_their_endpoints() {
        let real = Tensor::<f32>::ones(&[4, 1, 2, 2]);
        let fake = Tensor::<f32>::zeros(&[4, 1, 2, 2]);
        let x = interpolate(&real, &fake, &mut Rng::new(3));
        assert!(x.requires_grad() && x.is_leaf());
        for sample in x.data().chunks(4) {
            assert!(sample
                .iter()
                .all(|&v| v == sample[0] && (0.0..=1.0).contains(&v)));
        }
    }
}
