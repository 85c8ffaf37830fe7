//! Each objective's losses and gradients on tiny inputs, checked against hand computation in
//! f64: a linear critic D(x) = w·x + b on 2×2 images (so ∇x D = w and the penalties are known
//! in closed form), and a linear auto-encoder for ebgan.

use gantry_engine::{grad, Rng, Tensor};
use gantry_gan::config::TrainConfig;
use gantry_gan::ebgan;
use gantry_gan::objective::Objective;
use gantry_nn::{LayerSpec, Network};

/// Three real and three generated 1×2×2 images.
const REAL: [f32; 12] = [0.1, 0.5, 0.9, 0.0, 0.8, 0.2, 0.4, 0.6, 0.3, 0.7, 0.0, 1.0];
const FAKE: [f32; 12] = [0.6, 0.6, 0.1, 0.2, 0.0, 0.9, 0.5, 0.3, 1.0, 0.4, 0.2, 0.8];

fn images(values: &[f32]) -> Tensor {
    Tensor::from_vec(values.to_vec(), &[values.len() / 4, 1, 2, 2])
}

fn pixels(values: &[f32]) -> Vec<Vec<f64>> {
    values
        .chunks(4)
        .map(|c| c.iter().map(|&v| v as f64).collect())
        .collect()
}

fn build(spec: &[LayerSpec], params: &[(&str, Vec<usize>, Vec<f32>)]) -> Network {
    let mut net = Network::build(spec, &[1, 2, 2], &mut Rng::new(0)).expect("builds");
    let saved: Vec<_> = params
        .iter()
        .map(|(n, s, v)| (n.to_string(), s.clone(), v.clone()))
        .collect();
    net.load(&saved).expect("fits");
    net
}

/// D(x) = w·x + b.
fn linear_critic(w: [f32; 4], b: f32) -> Network {
    let spec = [LayerSpec::Flatten, LayerSpec::Linear { out: 1 }];
    build(
        &spec,
        &[
            ("1.weight", vec![1, 4], w.to_vec()),
            ("1.bias", vec![1], vec![b]),
        ],
    )
}

fn scores(w: [f32; 4], b: f32, x: &[Vec<f64>]) -> Vec<f64> {
    x.iter()
        .map(|xi| xi.iter().zip(w).map(|(p, w)| p * w as f64).sum::<f64>() + b as f64)
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn softplus(t: f64) -> f64 {
    t.exp().ln_1p()
}

fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

fn assert_close(got: f32, want: f64, tol: f64, what: &str) {
    assert!(
        (got as f64 - want).abs() <= tol * (1.0 + want.abs()),
        "{what}: got {got}, expected {want}"
    );
}

fn assert_all_close(got: &[f32], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert_close(g, w, tol, &format!("{what}[{i}]"));
    }
}

/// Gradients of `loss` with respect to the linear critic's weight and bias.
fn critic_grads(loss: &Tensor, critic: &Network) -> (Vec<f32>, f32) {
    let g = grad(std::slice::from_ref(loss), &critic.params(), false);
    (g[0].to_vec(), g[1].item())
}

/// Σ_i c_i·x_i over images, for hand-derived weight gradients.
fn weighted_sum(coeffs: &[f64], x: &[Vec<f64>]) -> Vec<f64> {
    (0..4)
        .map(|j| coeffs.iter().zip(x).map(|(c, xi)| c * xi[j]).sum())
        .collect()
}

fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a + b).collect()
}

const W: [f32; 4] = [0.5, -1.0, 2.0, 0.25];
const B: f32 = -0.3;

#[test]
fn gan_critic_loss_is_the_two_cross_entropies_from_logits() {
    let objective = Objective::Gan { minimax: false };
    let (real, fake) = (images(&REAL), images(&FAKE));

    // An undecided critic (all logits 0) pays ln 2 on each side.
    let zero = linear_critic([0.0; 4], 0.0);
    let terms = objective.critic_loss(&zero, &real, &fake, &mut Rng::new(0));
    assert_close(terms.loss.item(), 2.0 * 2f64.ln(), 1e-6, "loss at D = 0");

    let critic = linear_critic(W, B);
    let terms = objective.critic_loss(&critic, &real, &fake, &mut Rng::new(0));
    let (xr, xf) = (pixels(&REAL), pixels(&FAKE));
    let (sr, sf) = (scores(W, B, &xr), scores(W, B, &xf));
    let want = mean(&sr.iter().map(|&s| softplus(-s)).collect::<Vec<_>>())
        + mean(&sf.iter().map(|&s| softplus(s)).collect::<Vec<_>>());
    assert_close(terms.loss.item(), want, 1e-5, "critic loss");
    assert_close(terms.real_score, mean(&sr), 1e-5, "real score");
    assert_close(terms.fake_score, mean(&sf), 1e-5, "fake score");
    assert_eq!(terms.penalty, 0.0);

    // ∂/∂s of softplus(−s) is −σ(−s); of softplus(s) it is σ(s).
    let n = 3.0;
    let cr: Vec<f64> = sr.iter().map(|&s| -sigmoid(-s) / n).collect();
    let cf: Vec<f64> = sf.iter().map(|&s| sigmoid(s) / n).collect();
    let (gw, gb) = critic_grads(&terms.loss, &critic);
    let want_w = add(&weighted_sum(&cr, &xr), &weighted_sum(&cf, &xf));
    assert_all_close(&gw, &want_w, 1e-5, "∂loss/∂w");
    assert_close(gb, cr.iter().chain(&cf).sum(), 1e-5, "∂loss/∂b");
}

/// The generator's loss and its gradient with respect to the generated images `[3, 4]`.
fn generator_loss_and_image_grad(objective: Objective, critic: &Network) -> (f32, Vec<f32>) {
    let fake = images(&FAKE).requires_grad_();
    let loss = objective.generator_loss(critic, &fake);
    let g = grad(std::slice::from_ref(&loss), &[fake], false);
    (loss.item(), g[0].to_vec())
}

/// `coeff_i · w` for each image i, flattened: the image gradient of Σ c(D(x_i)).
fn image_grad(coeffs: &[f64], w: [f32; 4]) -> Vec<f64> {
    coeffs
        .iter()
        .flat_map(|c| w.iter().map(move |&w| c * w as f64))
        .collect()
}

#[test]
fn gan_generator_losses_non_saturating_and_minimax() {
    let xf = pixels(&FAKE);
    let critic = linear_critic(W, B);
    let sf = scores(W, B, &xf);

    // Non-saturating: mean softplus(−D(G(z))) = −mean log σ(D(G(z))).
    let (loss, g) = generator_loss_and_image_grad(Objective::Gan { minimax: false }, &critic);
    let want = mean(&sf.iter().map(|&s| softplus(-s)).collect::<Vec<_>>());
    assert_close(loss, want, 1e-5, "non-saturating loss");
    let coeffs: Vec<f64> = sf.iter().map(|&s| -sigmoid(-s) / 3.0).collect();
    assert_all_close(&g, &image_grad(&coeffs, W), 1e-5, "non-saturating ∂/∂x");

    // Minimax: mean log(1 − σ(D(G(z)))) = −mean softplus(D(G(z))).
    let (loss, g) = generator_loss_and_image_grad(Objective::Gan { minimax: true }, &critic);
    let want = -mean(&sf.iter().map(|&s| softplus(s)).collect::<Vec<_>>());
    assert_close(loss, want, 1e-5, "minimax loss");
    let coeffs: Vec<f64> = sf.iter().map(|&s| -sigmoid(s) / 3.0).collect();
    assert_all_close(&g, &image_grad(&coeffs, W), 1e-5, "minimax ∂/∂x");

    // Against a critic that confidently rejects the samples, the minimax gradient vanishes
    // while the non-saturating one stays at −w/n: the reason the latter is the default.
    let sure = linear_critic(W, -30.0);
    let (_, minimax) = generator_loss_and_image_grad(Objective::Gan { minimax: true }, &sure);
    let (_, non_sat) = generator_loss_and_image_grad(Objective::Gan { minimax: false }, &sure);
    assert!(minimax.iter().all(|g| g.abs() < 1e-9), "{minimax:?}");
    assert_all_close(
        &non_sat,
        &image_grad(&[-1.0 / 3.0; 3], W),
        1e-5,
        "saturated",
    );
}

#[test]
fn wgan_clip_losses_are_differences_of_means() {
    let objective = Objective::WganClip { clip: 0.01 };
    let (xr, xf) = (pixels(&REAL), pixels(&FAKE));
    let critic = linear_critic(W, B);
    let terms = objective.critic_loss(&critic, &images(&REAL), &images(&FAKE), &mut Rng::new(0));
    let (sr, sf) = (scores(W, B, &xr), scores(W, B, &xf));
    assert_close(
        terms.loss.item(),
        mean(&sf) - mean(&sr),
        1e-5,
        "critic loss",
    );
    assert_close(terms.wasserstein(), mean(&sr) - mean(&sf), 1e-5, "estimate");

    // ∂/∂w = mean x_fake − mean x_real; the bias cancels.
    let (gw, gb) = critic_grads(&terms.loss, &critic);
    let delta = add(
        &weighted_sum(&[1.0 / 3.0; 3], &xf),
        &weighted_sum(&[-1.0 / 3.0; 3], &xr),
    );
    assert_all_close(&gw, &delta, 1e-5, "∂loss/∂w");
    assert!(gb.abs() < 1e-6, "∂loss/∂b = {gb}");

    let (loss, g) = generator_loss_and_image_grad(objective, &critic);
    assert_close(loss, -mean(&sf), 1e-5, "generator loss");
    assert_all_close(&g, &image_grad(&[-1.0 / 3.0; 3], W), 1e-6, "generator ∂/∂x");
}

/// Critic loss terms and weight gradient of a penalised WGAN with a linear critic of weight
/// `w`; the expected values use ∇x D = w at every interpolate.
fn check_penalised(objective: Objective, w: [f32; 4], lambda: f64, one_sided: bool) {
    let (xr, xf) = (pixels(&REAL), pixels(&FAKE));
    let critic = linear_critic(w, B);
    let terms = objective.critic_loss(&critic, &images(&REAL), &images(&FAKE), &mut Rng::new(7));
    let norm = w.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
    let excess = if one_sided {
        (norm - 1.0).max(0.0)
    } else {
        norm - 1.0
    };
    let penalty = lambda * excess * excess;
    let (sr, sf) = (scores(w, B, &xr), scores(w, B, &xf));
    let what = format!("{objective:?} with ‖w‖ = {norm}");
    assert_close(terms.grad_norm, norm, 1e-5, &format!("{what}: norm"));
    assert_close(terms.penalty, penalty, 1e-5, &format!("{what}: penalty"));
    let want = mean(&sf) - mean(&sr) + penalty;
    assert_close(terms.loss.item(), want, 1e-5, &format!("{what}: loss"));

    // ∂/∂w of λ·φ(‖w‖ − 1) is 2λ·excess·w/‖w‖, through the gradient of a gradient.
    let (gw, gb) = critic_grads(&terms.loss, &critic);
    let delta = add(
        &weighted_sum(&[1.0 / 3.0; 3], &xf),
        &weighted_sum(&[-1.0 / 3.0; 3], &xr),
    );
    let scale = 2.0 * lambda * excess / norm;
    let want_w: Vec<f64> = delta
        .iter()
        .zip(w)
        .map(|(d, w)| d + scale * w as f64)
        .collect();
    assert_all_close(&gw, &want_w, 1e-4, &format!("{what}: ∂loss/∂w"));
    assert!(gb.abs() < 1e-5, "{what}: ∂loss/∂b = {gb}");
}

#[test]
fn wgan_gp_and_lp_penalties_match_the_closed_form_for_a_linear_critic() {
    let steep = [0.5, -1.0, 1.0, 0.0]; // ‖w‖ = 1.5
    let flat = [0.3, 0.0, -0.4, 0.0]; // ‖w‖ = 0.5
    for lambda in [10.0, 2.5] {
        let gp = Objective::WganGp { lambda };
        let lp = Objective::WganLp { lambda };
        check_penalised(gp, steep, lambda, false);
        check_penalised(gp, flat, lambda, false);
        check_penalised(lp, steep, lambda, true);
        // One-sided: a critic flatter than 1-Lipschitz is not penalised at all.
        check_penalised(lp, flat, lambda, true);
    }
    // The generator's loss ignores the penalty: −mean D(G(z)).
    let critic = linear_critic(steep, B);
    let (loss, g) = generator_loss_and_image_grad(Objective::WganGp { lambda: 10.0 }, &critic);
    assert_close(
        loss,
        -mean(&scores(steep, B, &pixels(&FAKE))),
        1e-5,
        "gp generator loss",
    );
    assert_all_close(&g, &image_grad(&[-1.0 / 3.0; 3], steep), 1e-6, "gp ∂/∂x");
}

// ---- ebgan: a linear auto-encoder, code = E x + e (2 numbers), recon = F code + f.

const ENC: [f32; 8] = [0.5, -0.2, 0.3, 0.1, -0.4, 0.6, 0.2, 0.5];
const ENC_BIAS: [f32; 2] = [0.1, -0.05];
const DEC: [f32; 8] = [0.7, 0.2, -0.3, 0.8, 0.5, 0.4, 0.1, 0.6];
const DEC_BIAS: [f32; 4] = [0.05, 0.1, 0.0, -0.1];

fn auto_encoder(enc: [f32; 8], enc_bias: [f32; 2], dec: [f32; 8], dec_bias: [f32; 4]) -> Network {
    let spec = [
        LayerSpec::Flatten,
        LayerSpec::Linear { out: 2 },
        LayerSpec::Linear { out: 4 },
        LayerSpec::Reshape {
            shape: vec![1, 2, 2],
        },
    ];
    build(
        &spec,
        &[
            ("1.weight", vec![2, 4], enc.to_vec()),
            ("1.bias", vec![2], enc_bias.to_vec()),
            ("2.weight", vec![4, 2], dec.to_vec()),
            ("2.bias", vec![4], dec_bias.to_vec()),
        ],
    )
}

fn affine(m: &[f32], bias: &[f32], x: &[f64]) -> Vec<f64> {
    let cols = x.len();
    bias.iter()
        .enumerate()
        .map(|(r, &b)| {
            b as f64
                + (0..cols)
                    .map(|c| m[r * cols + c] as f64 * x[c])
                    .sum::<f64>()
        })
        .collect()
}

fn code(x: &[f64]) -> Vec<f64> {
    affine(&ENC, &ENC_BIAS, x)
}

/// Reconstruction residuals AE(x) − x of one image.
fn residual(x: &[f64]) -> Vec<f64> {
    let recon = affine(&DEC, &DEC_BIAS, &code(x));
    recon.iter().zip(x).map(|(r, x)| r - x).collect()
}

/// E(x) = Σ over pixels of (AE(x) − x)².
fn energy(x: &[f64]) -> f64 {
    residual(x).iter().map(|r| r * r).sum()
}

/// PT = 1/(n(n−1)) Σ_{i≠j} cos²(codes_i, codes_j).
fn pullaway(codes: &[Vec<f64>]) -> f64 {
    let n = codes.len();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
    let mut total = 0.0;
    for i in 0..n {
        for j in (0..n).filter(|&j| j != i) {
            let c = dot(&codes[i], &codes[j]);
            total += c * c / (dot(&codes[i], &codes[i]) * dot(&codes[j], &codes[j]));
        }
    }
    total / (n * (n - 1)) as f64
}

/// Central finite differences of `loss` in every parameter of `net`. The losses here are
/// quadratic in any single auto-encoder weight away from hinge kinks, so these are exact up
/// to rounding.
fn numeric_param_grads(net: &mut Network, loss: impl Fn(&Network) -> f32) -> Vec<Vec<f64>> {
    let h = 1e-2;
    let shapes: Vec<usize> = net.params().iter().map(|p| p.numel()).collect();
    let mut out = Vec::new();
    for (k, &len) in shapes.iter().enumerate() {
        let mut g = Vec::with_capacity(len);
        for i in 0..len {
            let original = net.params()[k].data()[i];
            net.params_mut()[k].data_mut()[i] = original + h;
            let up = loss(net) as f64;
            net.params_mut()[k].data_mut()[i] = original - h;
            let down = loss(net) as f64;
            net.params_mut()[k].data_mut()[i] = original;
            g.push((up - down) / (2.0 * h as f64));
        }
        out.push(g);
    }
    out
}

#[test]
fn ebgan_energy_is_the_sum_of_squared_reconstruction_errors() {
    // An auto-encoder that outputs 0 has energy Σ x²: 0.01 + 0.25 + 0.81 + 0.
    let silent = auto_encoder([0.0; 8], [0.0; 2], [0.0; 8], [0.0; 4]);
    let objective = Objective::Ebgan {
        margin: 1.0,
        pullaway: 0.1,
    };
    let e = objective.scores(&silent, &images(&REAL));
    assert_close(e.data()[0], 1.07, 1e-6, "energy of a silent auto-encoder");

    let ae = auto_encoder(ENC, ENC_BIAS, DEC, DEC_BIAS);
    let xr = pixels(&REAL);
    let want: Vec<f64> = xr.iter().map(|x| energy(x)).collect();
    assert_all_close(
        objective.scores(&ae, &images(&REAL)).data(),
        &want,
        1e-5,
        "E(x)",
    );
    let realness = objective.realness(&ae, &images(&REAL));
    let neg: Vec<f64> = want.iter().map(|e| -e).collect();
    assert_all_close(realness.data(), &neg, 1e-5, "realness = −E(x)");
}

#[test]
fn ebgan_critic_loss_is_the_real_energy_plus_the_margin_hinge() {
    let (xr, xf) = (pixels(&REAL), pixels(&FAKE));
    let (er, ef): (Vec<f64>, Vec<f64>) = (
        xr.iter().map(|x| energy(x)).collect(),
        xf.iter().map(|x| energy(x)).collect(),
    );
    // A margin between the two lowest fake energies: only one fake sample is inside it.
    let mut sorted = ef.clone();
    sorted.sort_by(f64::total_cmp);
    let margin = (sorted[0] + sorted[1]) / 2.0;
    assert!(
        sorted[1] - sorted[0] > 0.02,
        "fake energies too close: {ef:?}"
    );
    let objective = Objective::Ebgan {
        margin,
        pullaway: 0.1,
    };
    let critic_loss = |net: &Network| {
        let (real, fake) = (images(&REAL), images(&FAKE));
        let terms = objective.critic_loss(net, &real, &fake, &mut Rng::new(0));
        terms.loss.item()
    };
    let hinge: Vec<f64> = ef.iter().map(|e| (margin - e).max(0.0)).collect();
    let mut ae = auto_encoder(ENC, ENC_BIAS, DEC, DEC_BIAS);
    assert_close(
        critic_loss(&ae),
        mean(&er) + mean(&hinge),
        1e-5,
        "critic loss",
    );

    // Decoder bias by hand: ∂E_i/∂f = 2·(AE(x_i) − x_i); real samples push the energy down,
    // the one fake sample inside the margin pushes it up, the others not at all.
    let terms = objective.critic_loss(&ae, &images(&REAL), &images(&FAKE), &mut Rng::new(0));
    let grads = grad(&[terms.loss], &ae.params(), false);
    let mut want_f = vec![0.0; 4];
    for (x, sign) in xr.iter().map(|x| (x, 1.0)).chain(
        xf.iter()
            .zip(&ef)
            .filter(|(_, &e)| e < margin)
            .map(|(x, _)| (x, -1.0)),
    ) {
        for (w, r) in want_f.iter_mut().zip(residual(x)) {
            *w += sign * 2.0 * r / 3.0;
        }
    }
    assert_all_close(&grads[3].to_vec(), &want_f, 1e-5, "∂loss/∂f");

    let numeric = numeric_param_grads(&mut ae, critic_loss);
    for (k, (g, n)) in grads.iter().zip(&numeric).enumerate() {
        assert_all_close(&g.to_vec(), n, 1e-3, &format!("∂loss/∂param {k}"));
    }
}

#[test]
fn ebgan_generator_loss_adds_the_weighted_pulling_away_term() {
    let xf = pixels(&FAKE);
    let ae = auto_encoder(ENC, ENC_BIAS, DEC, DEC_BIAS);
    let codes: Vec<Vec<f64>> = xf.iter().map(|x| code(x)).collect();
    let mean_energy = mean(&xf.iter().map(|x| energy(x)).collect::<Vec<_>>());
    let pt = pullaway(&codes);
    assert!(pt > 0.05, "codes too orthogonal for a useful check: {pt}");
    for weight in [0.0, 0.1, 1.0] {
        let objective = Objective::Ebgan {
            margin: 1.0,
            pullaway: weight,
        };
        let loss = |x: &Tensor| objective.generator_loss(&ae, x);
        let fake = images(&FAKE).requires_grad_();
        let value = loss(&fake);
        // The energies are summed over an image's 4 pixels, so PT's weight is scaled by 4.
        assert_close(
            value.item(),
            mean_energy + weight * 4.0 * pt,
            1e-5,
            "generator loss",
        );

        // Gradient with respect to the generated pixels against central differences.
        let g = grad(&[value], &[fake], false)[0].to_vec();
        let h = 1e-3;
        for i in 0..FAKE.len() {
            let mut up = FAKE;
            up[i] += h;
            let mut down = FAKE;
            down[i] -= h;
            let numeric = (loss(&images(&up)).item() - loss(&images(&down)).item()) / (2.0 * h);
            assert_close(
                g[i],
                numeric as f64,
                2e-3,
                &format!("∂/∂x[{i}] (w {weight})"),
            );
        }
    }
    // The library's term on these codes, and the hand value for codes (1,0), (1,1), (0,2).
    let t = Tensor::from_vec(codes.concat().iter().map(|&v| v as f32).collect(), &[3, 2]);
    assert_close(ebgan::pullaway(&t).item(), pt, 1e-5, "pullaway");
    let simple = Tensor::from_vec(vec![1.0, 0.0, 1.0, 1.0, 0.0, 2.0], &[3, 2]);
    assert_close(
        ebgan::pullaway(&simple).item(),
        1.0 / 3.0,
        1e-6,
        "pullaway by hand",
    );
}

/// A 28×28 auto-encoder that ignores its input and reconstructs every pixel as 0, so that
/// E(x) = Σ x².
fn blank_auto_encoder() -> Network {
    let spec = [
        LayerSpec::Flatten,
        LayerSpec::Linear { out: 1 },
        LayerSpec::Linear { out: 784 },
        LayerSpec::Reshape {
            shape: vec![1, 28, 28],
        },
    ];
    let mut net = Network::build(&spec, &[1, 28, 28], &mut Rng::new(0)).expect("builds");
    let zeros = net
        .named_params()
        .into_iter()
        .map(|(name, t)| (name, t.shape().to_vec(), vec![0.0; t.numel()]))
        .collect::<Vec<_>>();
    net.load(&zeros).expect("fits");
    net
}

#[test]
fn the_default_margin_lets_go_of_fakes_above_it_and_pushes_up_those_below() {
    let margin = TrainConfig::default().ebgan_margin;
    let objective = Objective::Ebgan {
        margin,
        pullaway: 0.1,
    };
    let ae = blank_auto_encoder();
    // Uniform images of brightness v have energy 784·v².
    let brightness = |energy: f64| (energy / 784.0).sqrt();
    let real = Tensor::full(&[1, 1, 28, 28], 0.1);
    for (fake_energy, inside) in [(2.0 * margin, false), (0.5 * margin, true)] {
        let v = brightness(fake_energy);
        let fake = Tensor::full(&[1, 1, 28, 28], v as f32);
        let terms = objective.critic_loss(&ae, &real, &fake, &mut Rng::new(0));
        let what = format!("fake energy {fake_energy} against margin {margin}");
        assert_close(terms.fake_score, fake_energy, 1e-5, &what);
        let hinge = (margin - fake_energy).max(0.0);
        assert_close(terms.loss.item(), 7.84 + hinge, 1e-5, &what);

        // ∂/∂(decoder bias) per pixel: 2·(0 − 0.1) from the real image, and from the hinge
        // −2·(0 − v) while the fake is inside the margin, nothing once it is outside.
        let grads = grad(&[terms.loss], &ae.params(), false);
        let want = -0.2 + if inside { 2.0 * v } else { 0.0 };
        assert_all_close(&grads[3].to_vec(), &[want; 784], 1e-5, &what);
    }
}
