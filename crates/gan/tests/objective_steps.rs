//! Training steps of each objective on tiny models: weight clipping after a critic step, the
//! divergence guard refusing a non-finite step without touching any weight or optimiser
//! state, and adversarial examples lowering a trained critic's score.

use gantry_data::{load_idx_split, shipped_mnist_dir, Split};
use gantry_engine::optim::{Adam, OptimizerState};
use gantry_engine::{no_grad, Rng, Tensor};
use gantry_gan::augment::perturb;
use gantry_gan::config::{ConfigLayer, TrainConfig};
use gantry_gan::model::{build_model, Diverged, Gan};
use gantry_gan::objective::Objective;
use gantry_nn::{Activation, LayerSpec, Network};

/// `n` shipped MNIST training images from `start`: `[n, 1, 28, 28]` in [0, 1].
fn mnist(start: usize, n: usize) -> Tensor {
    let full = load_idx_split(&shipped_mnist_dir(), Split::Train).expect("shipped subset loads");
    let k = full.image_len();
    Tensor::from_vec(
        full.images()[start * k..(start + n) * k].to_vec(),
        &[n, 1, 28, 28],
    )
}

/// The paper defaults of `loss` with tiny networks.
fn tiny(loss: &str, extra: &str) -> TrainConfig {
    let text = format!("loss = \"{loss}\"\ndim = 4\nlatent = 8\nbatch_size = 8\n{extra}");
    let layer = ConfigLayer::from_toml_str(&text, "test").expect("valid keys");
    TrainConfig::resolve(&[layer]).expect("resolves")
}

fn weights(net: &Network) -> Vec<(String, Vec<u32>)> {
    net.named_params()
        .into_iter()
        .map(|(n, t)| (n, t.data().iter().map(|v| v.to_bits()).collect()))
        .collect()
}

/// Every weight and optimiser buffer of `gan`, bit for bit.
type Snapshot = (
    Vec<(String, Vec<u32>)>,
    Vec<(String, Vec<u32>)>,
    OptimizerState,
    OptimizerState,
);

fn snapshot(gan: &Gan) -> Snapshot {
    (
        weights(&gan.generator),
        weights(&gan.critic),
        gan.opt_g.state(),
        gan.opt_c.state(),
    )
}

#[test]
fn weight_clipping_keeps_every_critic_weight_inside_the_bound() {
    for clip in [0.01, 0.05] {
        let config = tiny("wgan-clip", &format!("clip = {clip}\nlr = 0.05"));
        let mut gan = build_model(&config, &mut Rng::new(1)).unwrap();
        let c = clip as f32;
        let count = |g: &Gan, keep: &dyn Fn(f32) -> bool| {
            let params = g.critic.params();
            params
                .iter()
                .flat_map(|p| p.to_vec())
                .filter(|&w| keep(w))
                .count()
        };
        assert!(
            count(&gan, &|w| w.abs() > c) > 0,
            "initial weights inside ±{c}"
        );
        let mut rng = Rng::new(2);
        for step in 0..3 {
            gan.critic_step(&mnist(8 * step, 8), &mut rng)
                .expect("finite step");
            let outside = count(&gan, &|w| w.abs() > c);
            assert_eq!(outside, 0, "weights outside ±{c} after step {step}");
        }
        let at_bound = count(&gan, &|w| w.abs() == c);
        assert!(
            at_bound > 0,
            "no weight reached the bound: clipping never acted"
        );
    }
}

#[test]
fn a_nan_in_the_real_batch_is_refused_before_any_weight_moves() {
    for loss in ["gan", "wgan-clip", "wgan-gp", "wgan-lp", "ebgan"] {
        let mut gan = build_model(&tiny(loss, ""), &mut Rng::new(3)).unwrap();
        let mut rng = Rng::new(4);
        // One good step of each, so that the optimisers hold moments to compare.
        gan.critic_step(&mnist(0, 8), &mut rng)
            .expect("finite critic step");
        gan.generator_step(8, &mut rng)
            .expect("finite generator step");
        let before = snapshot(&gan);
        assert!(!before.3.buffers.is_empty());

        let mut pixels = mnist(8, 8).to_vec();
        pixels[3 * 784 + 400] = f32::NAN;
        let poisoned = Tensor::from_vec(pixels, &[8, 1, 28, 28]);
        let err = gan
            .critic_step(&poisoned, &mut rng)
            .expect_err("NaN accepted");
        let want = Diverged {
            network: "critic",
            term: "loss".into(),
        };
        assert_eq!(err, want, "{loss}");
        assert_eq!(err.to_string(), "critic step: loss is not finite");
        assert!(
            snapshot(&gan) == before,
            "{loss}: a refused critic step changed state"
        );
    }
}

#[test]
fn a_nan_critic_weight_stops_the_generator_step_without_changing_the_generator() {
    let mut gan = build_model(&tiny("wgan-gp", ""), &mut Rng::new(5)).unwrap();
    let mut rng = Rng::new(6);
    gan.generator_step(8, &mut rng)
        .expect("finite generator step");
    gan.critic.params_mut()[0].data_mut()[0] = f32::NAN;
    let (generator, opt_g) = (weights(&gan.generator), gan.opt_g.state());
    let err = gan.generator_step(8, &mut rng).expect_err("NaN accepted");
    assert_eq!(err.to_string(), "generator step: loss is not finite");
    assert_eq!(weights(&gan.generator), generator);
    assert_eq!(gan.opt_g.state(), opt_g);
}

#[test]
fn an_overflowing_gradient_with_a_finite_loss_is_named_and_refused() {
    // D(x) = v·(u·x): with u tiny and v huge the score stays finite but ∂D/∂u = v·x
    // overflows for large pixels.
    let spec = [
        LayerSpec::Flatten,
        LayerSpec::Linear { out: 1 },
        LayerSpec::Linear { out: 1 },
    ];
    let mut critic = Network::build(&spec, &[1, 2, 2], &mut Rng::new(0)).unwrap();
    let saved = [
        ("1.weight".to_string(), vec![1, 4], vec![1e-37; 4]),
        ("1.bias".to_string(), vec![1], vec![0.0]),
        ("2.weight".to_string(), vec![1, 1], vec![1e29]),
        ("2.bias".to_string(), vec![1], vec![0.0]),
    ];
    critic.load(&saved).unwrap();
    let g_spec = [
        LayerSpec::Linear { out: 4 },
        LayerSpec::Activation(Activation::Sigmoid),
        LayerSpec::Reshape {
            shape: vec![1, 2, 2],
        },
    ];
    let generator = Network::build(&g_spec, &[2], &mut Rng::new(1)).unwrap();
    let mut gan = Gan {
        generator,
        critic,
        objective: Objective::WganClip { clip: 0.01 },
        opt_g: Box::new(Adam::new(1e-3, 0.5, 0.9, 1e-8)),
        opt_c: Box::new(Adam::new(1e-3, 0.5, 0.9, 1e-8)),
        latent: 2,
        average: None,
    };
    let before = snapshot(&gan);
    let real = Tensor::full(&[3, 1, 2, 2], 1e10);
    let err = gan
        .critic_step(&real, &mut Rng::new(2))
        .expect_err("overflow accepted");
    assert_eq!(err.term, "gradient of 1.weight");
    assert!(snapshot(&gan) == before, "a refused step changed state");
}

fn mean_realness(objective: &Objective, critic: &Network, x: &Tensor) -> f32 {
    let r = no_grad(|| objective.realness(critic, x));
    r.data().iter().sum::<f32>() / r.numel() as f32
}

/// Trains only the critic of `loss` against the untrained generator for `steps` steps. The
/// ebgan margin is raised to 200, the energy of digits under an untrained auto-encoder this
/// small: the untrained generator's grey images cost about 40, at the default margin, so that
/// the hinge would hardly push them and 60 steps would leave digits the costlier.
fn trained_critic(loss: &str, steps: usize) -> Gan {
    let config = tiny(loss, "lr = 1e-3\nebgan_margin = 200.0");
    let mut gan = build_model(&config, &mut Rng::new(8)).unwrap();
    let mut rng = Rng::new(9);
    for step in 0..steps {
        gan.critic_step(&mnist(8 * (step % 50), 8), &mut rng)
            .expect("finite");
    }
    gan
}

#[test]
fn adversarial_examples_lower_a_trained_critics_rating_within_the_ball() {
    for loss in ["wgan-gp", "ebgan"] {
        let gan = trained_critic(loss, 60);
        let (objective, critic) = (&gan.objective, &gan.critic);
        let clean = mnist(1000, 32);
        let fake = gan.generate(&gan.sample_latent(32, &mut Rng::new(10)));
        let (real_score, fake_score) = (
            mean_realness(objective, critic, &clean),
            mean_realness(objective, critic, &fake),
        );
        assert!(real_score > fake_score, "{loss}: critic not trained");
        for (eps, steps) in [(0.05, 1), (0.05, 3), (0.1, 2)] {
            let adv = perturb(objective, critic, &clean, eps, steps);
            for (a, o) in adv.data().iter().zip(clean.data()) {
                assert!((a - o).abs() <= eps as f32 + 1e-6 && (0.0..=1.0).contains(a));
            }
            // Every image is rated lower, and the mean by a real share of the gap between real
            // and generated images (small for ebgan: MNIST pixels sit at 0 or 1, and the box
            // blocks most moves away from the reconstruction).
            let per_image = |x: &Tensor| no_grad(|| objective.realness(critic, x)).to_vec();
            let (before, after) = (per_image(&clean), per_image(&adv));
            assert!(
                before.iter().zip(&after).all(|(b, a)| a < b),
                "{loss}: {after:?}"
            );
            let adv_score = mean_realness(objective, critic, &adv);
            assert!(
                adv_score < real_score - 0.02 * (real_score - fake_score),
                "{loss} ε {eps} × {steps}: {adv_score} vs clean {real_score}, fake {fake_score}"
            );
        }
    }
}
