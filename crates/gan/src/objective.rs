//! The adversarial objectives as loss modules: each turns critic scores on real and generated
//! batches into the critic's loss and the generator's loss.
//!
//! | objective  | critic loss                                   | generator loss            |
//! |------------|-----------------------------------------------|---------------------------|
//! | gan        | softplus(-D(x)) + softplus(D(G(z)))            | softplus(-D(G(z)))        |
//! | wgan-clip  | D(G(z)) - D(x), weights clipped to ±c          | -D(G(z))                  |
//! | wgan-gp    | D(G(z)) - D(x) + λ(‖∇D(x̂)‖ - 1)²               | -D(G(z))                  |
//! | wgan-lp    | D(G(z)) - D(x) + λ max(0, ‖∇D(x̂)‖ - 1)²        | -D(G(z))                  |
//! | ebgan      | E(x) + max(0, m - E(G(z)))                     | E(G(z)) + w·PT(codes)     |
//!
//! Means over the batch throughout. For `gan` the critic's score is a logit: the
//! cross-entropies are computed from it with softplus, which never overflows. For `ebgan` the
//! "critic" is an auto-encoder and E(x) its per-sample sum of squared reconstruction errors.

use gantry_engine::{Rng, Tensor};
use gantry_nn::Network;

use crate::config::{Loss, TrainConfig};
use crate::ebgan;
use crate::penalty::{gradient_penalty, interpolate, Sides};

/// An objective with its hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Objective {
    /// Goodfellow et al. (2014); `minimax` selects log(1 - D(G(z))) for the generator.
    Gan {
        /// Use the original (saturating) generator loss.
        minimax: bool,
    },
    /// Arjovsky et al. (2017): critic weights clipped to ±`clip` after each step.
    WganClip {
        /// The clipping bound c.
        clip: f64,
    },
    /// Gulrajani et al. (2017): two-sided gradient penalty of weight `lambda`.
    WganGp {
        /// λ.
        lambda: f64,
    },
    /// Petzka et al. (2018): one-sided gradient penalty of weight `lambda`.
    WganLp {
        /// λ.
        lambda: f64,
    },
    /// Zhao et al. (2017): energy-based GAN with an auto-encoder critic.
    Ebgan {
        /// Margin m on the energy of generated samples.
        margin: f64,
        /// Weight of the pulling-away term.
        pullaway: f64,
    },
}

/// The critic's loss and the numbers logged about it.
pub struct CriticTerms {
    /// The loss to minimise, differentiable in the critic's weights.
    pub loss: Tensor,
    /// Mean critic score (or energy, for ebgan) of real samples.
    pub real_score: f32,
    /// Mean critic score (or energy) of generated samples.
    pub fake_score: f32,
    /// The penalty term (0 where the objective has none).
    pub penalty: f32,
    /// Mean per-sample ‖∇x̂ D(x̂)‖ (NaN where no penalty is computed).
    pub grad_norm: f32,
}

impl CriticTerms {
    /// The Wasserstein estimate mean D(x) - mean D(G(z)) (for `gan`, the logit gap).
    pub fn wasserstein(&self) -> f32 {
        self.real_score - self.fake_score
    }
}

impl Objective {
    /// The objective a run's configuration asks for.
    pub fn from_config(c: &TrainConfig) -> Self {
        match c.loss {
            Loss::Gan => Objective::Gan { minimax: c.minimax },
            Loss::WganClip => Objective::WganClip { clip: c.clip },
            Loss::WganGp => Objective::WganGp {
                lambda: c.lambda_gp,
            },
            Loss::WganLp => Objective::WganLp {
                lambda: c.lambda_gp,
            },
            Loss::Ebgan => Objective::Ebgan {
                margin: c.ebgan_margin,
                pullaway: c.pullaway_weight,
            },
        }
    }

    /// The critic's per-sample scores (energies for ebgan): `[n, …] → [n]`.
    pub fn scores(&self, critic: &Network, x: &Tensor) -> Tensor {
        match self {
            Objective::Ebgan { .. } => ebgan::energy(critic, x),
            _ => critic.forward(x).reshape(&[x.dim(0)]),
        }
    }

    /// How real the critic rates each sample, higher meaning more real: the score, or the
    /// negated energy for ebgan. `[n, …] → [n]`.
    pub fn realness(&self, critic: &Network, x: &Tensor) -> Tensor {
        match self {
            Objective::Ebgan { .. } => ebgan::energy(critic, x).neg(),
            _ => self.scores(critic, x),
        }
    }

    /// Scores of a real and a generated batch, `[n]` each. A critic with batch norm rates each
    /// batch on its own, as the generator's loss rates generated batches: scored together, a
    /// generated sample would be normalised by statistics that the generator never sees, and
    /// the critic would train against a function its generator does not follow. Other critics
    /// score both in one pass, for larger, faster products.
    fn real_and_fake_scores(
        &self,
        critic: &Network,
        real: &Tensor,
        fake: &Tensor,
    ) -> (Tensor, Tensor) {
        if critic.mixes_batch() {
            return (self.scores(critic, real), self.scores(critic, fake));
        }
        let n = real.dim(0);
        let both = self.scores(critic, &Tensor::cat(&[real.clone(), fake.clone()], 0)); // [2n]
        (both.narrow(0, 0, n), both.narrow(0, n, n))
    }

    /// The critic's loss on a real and a generated batch (the generated one detached).
    pub fn critic_loss(
        &self,
        critic: &Network,
        real: &Tensor,
        fake: &Tensor,
        rng: &mut Rng,
    ) -> CriticTerms {
        let (d_real, d_fake) = self.real_and_fake_scores(critic, real, fake);
        let (real_score, fake_score) = (mean_of(&d_real), mean_of(&d_fake));
        let terms = |loss, penalty, grad_norm| CriticTerms {
            loss,
            real_score,
            fake_score,
            penalty,
            grad_norm,
        };
        match *self {
            Objective::Gan { .. } => {
                let loss = d_real
                    .neg()
                    .softplus()
                    .mean()
                    .add(&d_fake.softplus().mean());
                terms(loss, 0.0, f32::NAN)
            }
            Objective::WganClip { .. } => terms(d_fake.mean().sub(&d_real.mean()), 0.0, f32::NAN),
            Objective::WganGp { lambda } | Objective::WganLp { lambda } => {
                let sides = if matches!(self, Objective::WganGp { .. }) {
                    Sides::Two
                } else {
                    Sides::One
                };
                let x_hat = interpolate(real, fake, rng);
                let p = gradient_penalty(critic, &x_hat, lambda, sides);
                let loss = d_fake.mean().sub(&d_real.mean()).add(&p.loss);
                terms(loss, p.loss.item(), p.grad_norm)
            }
            Objective::Ebgan { margin, .. } => {
                let hinge = d_fake.rsub_scalar(margin as f32).relu();
                terms(d_real.mean().add(&hinge.mean()), 0.0, f32::NAN)
            }
        }
    }

    /// The generator's loss on a generated batch (not detached).
    pub fn generator_loss(&self, critic: &Network, fake: &Tensor) -> Tensor {
        match *self {
            Objective::Gan { minimax: false } => self.scores(critic, fake).neg().softplus().mean(),
            Objective::Gan { minimax: true } => self.scores(critic, fake).softplus().neg().mean(),
            Objective::Ebgan { pullaway, .. } => ebgan::generator_loss(critic, fake, pullaway),
            _ => self.scores(critic, fake).mean().neg(),
        }
    }

    /// Work after each critic update: weight clipping for `wgan-clip`.
    pub fn after_critic_step(&self, critic: &mut Network) {
        if let Objective::WganClip { clip } = *self {
            let c = clip as f32;
            for p in critic.params_mut() {
                p.data_mut().iter_mut().for_each(|w| *w = w.clamp(-c, c));
            }
        }
    }
}

fn mean_of(t: &Tensor) -> f32 {
    t.data().iter().sum::<f32>() / t.numel() as f32
}

#[cfg(test)]
mod tests {
    use gantry_nn::LayerSpec;

    use super::*;

    fn critic(weights: Vec<f32>, bias: f32) -> Network {
        let spec = [LayerSpec::Flatten, LayerSpec::Linear { out: 1 }];
        let mut net = Network::build(&spec, &[4], &mut Rng::new(0)).expect("builds");
        net.load(&[
            ("1.weight".into(), vec![1, 4], weights),
            ("1.bias".into(), vec![1], vec![bias]),
        ])
        .expect("fits");
        net
    }

    fn values(net: &Network) -> Vec<f32> {
        net.params().iter().flat_map(|p| p.to_vec()).collect()
    }

    #[test]
    fn clipping_clamps_every_parameter_and_only_for_wgan_clip() {
        let mut net = critic(vec![-0.5, 0.005, 0.02, -0.01], 0.3);
        Objective::WganClip { clip: 0.01 }.after_critic_step(&mut net);
        assert_eq!(values(&net), [-0.01, 0.005, 0.01, -0.01, 0.01]);

        let others = [
            Objective::Gan { minimax: false },
            Objective::WganGp { lambda: 10.0 },
            Objective::WganLp { lambda: 10.0 },
            Objective::Ebgan {
                margin: 1.0,
                pullaway: 0.1,
            },
        ];
        for objective in others {
            let mut net = critic(vec![-0.5, 0.005, 0.02, -0.01], 0.3);
            objective.after_critic_step(&mut net);
            assert_eq!(
                values(&net),
                [-0.5, 0.005, 0.02, -0.01, 0.3],
                "{objective:?}"
            );
        }
    }

    #[test]
    fn a_batch_norm_critic_rates_real_and_generated_batches_each_on_its_own() {
        let spec = [
            LayerSpec::Flatten,
            LayerSpec::Linear { out: 3 },
            LayerSpec::Norm {
                kind: gantry_nn::NormKind::Batch,
            },
            LayerSpec::Linear { out: 1 },
        ];
        let critic = Network::build(&spec, &[4], &mut Rng::new(1)).expect("builds");
        let mut rng = Rng::new(2);
        let real: Tensor = rng.uniform(&[5, 4], 0.0, 1.0);
        let fake: Tensor = rng.uniform(&[5, 4], 0.0, 0.3);
        let gan = Objective::Gan { minimax: false };
        let terms = gan.critic_loss(&critic, &real, &fake, &mut rng);
        // As the generator's loss sees them: a generated batch alone.
        assert_eq!(terms.fake_score, mean_of(&gan.scores(&critic, &fake)));
        assert_eq!(terms.real_score, mean_of(&gan.scores(&critic, &real)));
    }

    #[test]
    fn realness_is_the_score_except_for_ebgan() {
        let net = critic(vec![1.0, -2.0, 0.5, 0.0], 0.25);
        let x = Tensor::from_vec(vec![1.0, 1.0, 2.0, 3.0], &[1, 4]);
        let gp = Objective::WganGp { lambda: 10.0 };
        assert_eq!(gp.realness(&net, &x).to_vec(), [0.25]);
        assert_eq!(gp.scores(&net, &x).to_vec(), [0.25]);
    }
}
