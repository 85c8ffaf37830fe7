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
    /// The generator's moving average, when the configuration keeps one.
    pub average: Option<GeneratorAverage>,
}

/// An exponential moving average of the generator's weights, updated after every generator
/// step. Averaging the iterates of a GAN's generator smooths out the oscillation of its
/// training: the average draws cleaner samples than the generator it follows.
#[derive(Clone, Debug)]
pub struct GeneratorAverage {
    /// The averaged generator.
    pub network: Network,
    /// The longest-memory decay.
    pub decay: f64,
    /// Updates so far.
    pub updates: u64,
}

impl GeneratorAverage {
    /// An average that starts at `generator`'s weights.
    pub fn new(generator: &Network, decay: f64) -> Self {
        GeneratorAverage {
            network: generator.clone(),
            decay,
            updates: 0,
        }
    }

    /// The decay of the next update: short memory at first, so that the initial weights
    /// are soon forgotten, growing to `decay`.
    pub fn current_decay(&self) -> f64 {
        let t = self.updates as f64;
        self.decay.min((1.0 + t) / (10.0 + t))
    }

    /// Moves the average towards `generator`'s new weights.
    pub fn update(&mut self, generator: &Network) {
        let decay = self.current_decay() as f32;
        self.network.blend_towards(generator, decay);
        self.updates += 1;
    }
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
    let average = (c.ema > 0.0).then(|| GeneratorAverage::new(&generator, c.ema));
    Ok(Gan {
        generator,
        critic,
        objective: Objective::from_config(c),
        opt_g: optimizer(c),
        opt_c: optimizer(c),
        latent: c.latent,
        average,
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

    /// The trained generator's images for latent vectors `z`, without building a graph:
    /// the fakes the critic trains on.
    pub fn generate(&self, z: &Tensor) -> Tensor {
        no_grad(|| self.generator.forward(z))
    }

    /// The generator that shows what training has reached: the moving average when there is
    /// one, else the trained generator.
    pub fn sampler(&self) -> &Network {
        self.average
            .as_ref()
            .map_or(&self.generator, |a| &a.network)
    }

    /// Images for latent vectors `z` from [`Gan::sampler`], without building a graph: for
    /// sample grids, evaluation and `gantry sample`.
    pub fn sample(&self, z: &Tensor) -> Tensor {
        no_grad(|| self.sampler().forward(z))
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
        if let Some(average) = &mut self.average {
            average.update(&self.generator);
        }
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
    fn the_generator_average_follows_each_generator_step() {
        let config = TrainConfig {
            model: ModelKind::Mlp,
            hidden: 8,
            latent: 4,
            ema: 0.999,
            ..TrainConfig::default()
        };
        let mut rng = Rng::new(5);
        let mut gan = build_model(&config, &mut rng).unwrap();
        let values =
            |net: &Network| -> Vec<f32> { net.params().iter().flat_map(|p| p.to_vec()).collect() };
        let average = gan.average.as_ref().expect("`ema` is set");
        assert_eq!(values(&average.network), values(&gan.generator));
        // The first updates forget the initial weights fast; later ones approach `ema`.
        assert!((average.current_decay() - 0.1).abs() < 1e-12);
        let late = GeneratorAverage {
            updates: 100_000,
            ..average.clone()
        };
        assert_eq!(late.current_decay(), 0.999);

        let before = values(&gan.generator);
        gan.generator_step(6, &mut rng).unwrap();
        let after = values(&gan.generator);
        let average = gan.average.as_ref().unwrap();
        assert_eq!(average.updates, 1);
        for ((&a, &b), &p) in values(&average.network).iter().zip(&before).zip(&after) {
            assert!((a - (0.1 * b + 0.9 * p)).abs() < 1e-6);
        }
        assert_ne!(
            values(gan.sampler()),
            after,
            "samples come from the average"
        );

        let plain = build_model(&TrainConfig { ema: 0.0, ..config }, &mut rng).unwrap();
        assert!(plain.average.is_none());
        assert!(std::ptr::eq(plain.sampler(), &plain.generator));
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
