//! `build_model`: joins a generator, a critic, an objective and two optimisers into one
//! trainable GAN, and the two kinds of training step.

use gantry_engine::optim::{Adam, Optimizer, RmsProp, Sgd};
use gantry_engine::{grad, no_grad, Rng, Tensor};
use gantry_nn::{presets, Network, NetworkError, NormKind};

use crate::config::{Loss, ModelKind, OptimizerKind, TrainConfig};
use crate::objective::{CriticTerms, Objective};

/// A generator and critic with their objective and optimisers.
pub struct Gan {
    /// Maps latent vectors `[n, latent]` to images `[n, c, h, w]`.
    pub generator: Network,
    /// Scores images `[n, c, h, w]` (an auto-encoder for ebgan).
    pub critic: Network,
    /// The loss module.
    pub objective: Objective,
    /// The generator's optimiser.
    pub opt_g: Box<dyn Optimizer>,
    /// The critic's optimiser.
    pub opt_c: Box<dyn Optimizer>,
    /// Latent dimension.
    pub latent: usize,
}

/// What a critic step saw, for logs and the divergence guard.
#[derive(Clone, Copy, Debug, Default)]
pub struct CriticStats {
    /// The critic's total loss.
    pub loss: f32,
    /// mean D(x) - mean D(G(z)).
    pub wasserstein: f32,
    /// The penalty term.
    pub penalty: f32,
    /// Mean per-sample gradient norm at the interpolates.
    pub grad_norm: f32,
    /// Mean score of the real batch.
    pub real_score: f32,
}

/// A non-finite loss or gradient: the step was abandoned before any weight changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Diverged {
    /// Which network's step.
    pub network: &'static str,
    /// The term that was not finite (e.g. `loss`, `gradient of 3.weight`).
    pub term: String,
}

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} step: {} is not finite", self.network, self.term)
    }
}

/// The network descriptions a configuration asks for: (generator, critic).
///
/// Normalisation follows the objective. With a gradient penalty (`wgan-gp`, `wgan-lp`) neither
/// network has any, the reference model: the penalty is on per-sample gradients, which batch
/// statistics would couple. `gan` and `wgan-clip` have batch norm in both networks, as in DCGAN
/// (Radford et al., 2016): without it in the generator its sigmoid saturates and the samples of
/// a 150-iteration run at `dim` 32 are black. The `ebgan` generator has none: with it, the
/// same short runs ended no better.
pub fn network_specs(c: &TrainConfig) -> (Vec<gantry_nn::LayerSpec>, Vec<gantry_nn::LayerSpec>) {
    let critic_norm = match c.loss {
        Loss::WganGp | Loss::WganLp => None,
        _ => Some(NormKind::Batch),
    };
    let generator_norm = matches!(c.loss, Loss::Gan | Loss::WganClip).then_some(NormKind::Batch);
    let critic = match (c.loss, c.model) {
        (Loss::Ebgan, _) => presets::ebgan_critic(c.dim, c.channels),
        (_, ModelKind::Dcgan) => presets::dcgan_critic(c.dim, critic_norm),
        (_, ModelKind::Mlp) => presets::mlp_critic(c.hidden),
    };
    let generator = match c.model {
        ModelKind::Dcgan => {
            presets::dcgan_generator(c.dim, c.channels, c.image_size, generator_norm)
        }
        ModelKind::Mlp => presets::mlp_generator(c.hidden, c.channels, c.image_size),
    };
    (generator, critic)
}

fn optimizer(c: &TrainConfig) -> Box<dyn Optimizer> {
    match c.optimizer {
        OptimizerKind::Adam => Box::new(Adam::new(c.lr, c.beta1, c.beta2, c.eps)),
        OptimizerKind::Rmsprop => Box::new(RmsProp::new(c.lr, c.beta2, c.eps)),
        OptimizerKind::Sgd => Box::new(Sgd::new(c.lr, c.momentum)),
    }
}

/// Builds the GAN a configuration describes, initialising weights from `rng`.
pub fn build_model(c: &TrainConfig, rng: &mut Rng) -> Result<Gan, NetworkError> {
    let (g_spec, c_spec) = network_specs(c);
    let generator = Network::build(&g_spec, &[c.latent], rng)?;
    let critic = Network::build(&c_spec, &[c.channels, c.image_size, c.image_size], rng)?;
    Ok(Gan {
        generator,
        critic,
        objective: Objective::from_config(c),
        opt_g: optimizer(c),
        opt_c: optimizer(c),
        latent: c.latent,
    })
}

fn check_finite(
    network: &'static str,
    loss: &Tensor,
    grads: &[Tensor],
    net: &Network,
) -> Result<(), Diverged> {
    if !loss.item().is_finite() {
        return Err(Diverged {
            network,
            term: "loss".into(),
        });
    }
    for (g, (name, _)) in grads.iter().zip(net.named_params()) {
        if g.data().iter().any(|v| !v.is_finite()) {
            return Err(Diverged {
                network,
                term: format!("gradient of {name}"),
            });
        }
    }
    Ok(())
}

impl Gan {
    /// `n` latent vectors drawn from N(0, I): `[n, latent]`.
    pub fn sample_latent(&self, n: usize, rng: &mut Rng) -> Tensor {
        rng.normal(&[n, self.latent])
    }

    /// Generated images for latent vectors `z`, without building a graph.
    pub fn generate(&self, z: &Tensor) -> Tensor {
        no_grad(|| self.generator.forward(z))
    }

    /// One critic update on a real batch `[n, c, h, w]` against a fresh generated batch.
    pub fn critic_step(&mut self, real: &Tensor, rng: &mut Rng) -> Result<CriticStats, Diverged> {
        let z = self.sample_latent(real.dim(0), rng);
        let fake = self.generate(&z);
        let terms: CriticTerms = self.objective.critic_loss(&self.critic, real, &fake, rng);
        let grads = grad(
            std::slice::from_ref(&terms.loss),
            &self.critic.params(),
            false,
        );
        check_finite("critic", &terms.loss, &grads, &self.critic)?;
        let stats = CriticStats {
            loss: terms.loss.item(),
            wasserstein: terms.wasserstein(),
            penalty: terms.penalty,
            grad_norm: terms.grad_norm,
            real_score: terms.real_score,
        };
        // Free the step's graph first, so that parameters are updated in place.
        drop(terms);
        self.opt_c.step(&mut self.critic.params_mut(), &grads);
        self.objective.after_critic_step(&mut self.critic);
        Ok(stats)
    }

    /// One generator update on a fresh latent batch of `n`; returns the generator's loss.
    pub fn generator_step(&mut self, n: usize, rng: &mut Rng) -> Result<f32, Diverged> {
        let z = self.sample_latent(n, rng);
        let fake = self.generator.forward(&z); // [n, c, h, w]
        let loss = self.objective.generator_loss(&self.critic, &fake);
        // Only the generator's gradients are computed: the critic's weights are not targets.
        let grads = grad(std::slice::from_ref(&loss), &self.generator.params(), false);
        check_finite("generator", &loss, &grads, &self.generator)?;
        let value = loss.item();
        drop((loss, fake));
        self.opt_g.step(&mut self.generator.params_mut(), &grads);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use gantry_nn::LayerSpec;

    use super::*;

    fn batch_norms(spec: &[LayerSpec]) -> usize {
        let is_batch_norm = |l: &&LayerSpec| {
            matches!(
                l,
                LayerSpec::Norm {
                    kind: NormKind::Batch
                }
            )
        };
        spec.iter().filter(is_batch_norm).count()
    }

    #[test]
    fn batch_norm_follows_the_objective() {
        let specs = |loss| {
            let (g, c) = network_specs(&TrainConfig {
                loss,
                ..TrainConfig::default()
            });
            (batch_norms(&g), batch_norms(&c))
        };
        assert_eq!(specs(Loss::WganGp), (0, 0), "the reference model");
        assert_eq!(specs(Loss::WganLp), (0, 0));
        assert_eq!(specs(Loss::Gan), (3, 2), "DCGAN: both networks");
        assert_eq!(specs(Loss::WganClip), (3, 2));
        assert_eq!(specs(Loss::Ebgan), (0, 0));
    }
}
