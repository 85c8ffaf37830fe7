//! Every differentiable op checked against central finite differences in f64: first
//! derivatives, and second derivatives through a differentiable gradient.

use gantry_engine::gradcheck::{check_first_order, check_second_order};
use gantry_engine::{conv2d, conv_transpose2d, grad, Rng, Tensor};

type T = Tensor<f64>;

const TOLERANCE: f64 = 1e-6;

/// Values in ±[0.2, 1.2], away from the kinks of relu, abs and clamp.
fn input(shape: &[usize], seed: u64) -> T {
    let mut rng = Rng::new(seed);
    let data = (0..shape.iter().product::<usize>())
        .map(|_| {
            let v = 0.2 + rng.uniform01();
            if rng.uniform01() < 0.5 {
                -v
            } else {
                v
            }
        })
        .collect();
    Tensor::from_vec(data, shape)
}

fn positive(shape: &[usize], seed: u64) -> T {
    input(shape, seed).abs().detach()
}

/// Σ w ⊙ y with fixed random weights, so that no gradient cancels by symmetry.
fn weighted(y: &T) -> T {
    let w = Rng::new(99).normal::<f64>(y.shape());
    y.mul(&w).sum()
}

/// Checks first and second derivatives of `Σ w ⊙ op(xs)`. Ops linear in their inputs are
/// squared first so that their second derivatives are not identically zero.
fn check(name: &str, xs: &[T], square: bool, op: impl Fn(&[T]) -> T + 'static) {
    let f = move |v: &[T]| {
        let y = op(v);
        weighted(&if square { y.square() } else { y })
    };
    let first = check_first_order(&f, xs);
    let second = check_second_order(&f, xs, 5);
    assert!(
        first < TOLERANCE,
        "{name}: first-order relative error {first:e}"
    );
    assert!(
        second < TOLERANCE,
        "{name}: second-order relative error {second:e}"
    );
}

#[test]
fn arithmetic_with_broadcasting() {
    let (a, b) = (input(&[3, 4], 1), input(&[1, 4], 2));
    check("add", &[a.clone(), b.clone()], true, |v| v[0].add(&v[1]));
    check("sub", &[a.clone(), b.clone()], true, |v| v[0].sub(&v[1]));
    check("mul", &[a.clone(), b.clone()], false, |v| v[0].mul(&v[1]));
    check("div", &[a.clone(), b.clone()], false, |v| v[0].div(&v[1]));
    let col = input(&[3, 1], 3);
    check("mul outer", &[col, input(&[4], 4)], false, |v| {
        v[0].mul(&v[1])
    });
    check("scalar ops", std::slice::from_ref(&a), true, |v| {
        v[0].neg().add_scalar(0.3).mul_scalar(1.7)
    });
}

#[test]
fn element_wise_functions() {
    let x = input(&[2, 5], 7);
    let p = positive(&[2, 5], 8);
    check("exp", std::slice::from_ref(&x), false, |v| v[0].exp());
    check("log", std::slice::from_ref(&p), false, |v| v[0].log());
    check("sqrt", std::slice::from_ref(&p), false, |v| v[0].sqrt());
    check("square", std::slice::from_ref(&x), false, |v| v[0].square());
    check("pow", std::slice::from_ref(&p), false, |v| v[0].powf(2.5));
    check("abs", std::slice::from_ref(&x), true, |v| v[0].abs());
    check("relu", std::slice::from_ref(&x), true, |v| v[0].relu());
    check("leaky_relu", std::slice::from_ref(&x), true, |v| {
        v[0].leaky_relu(0.2)
    });
    check("clamp", std::slice::from_ref(&x), true, |v| {
        v[0].clamp(-0.5, 0.6)
    });
    check("sigmoid", std::slice::from_ref(&x), false, |v| {
        v[0].sigmoid()
    });
    check("tanh", std::slice::from_ref(&x), false, |v| v[0].tanh());
    check("softplus", std::slice::from_ref(&x), false, |v| {
        v[0].softplus()
    });
    check("log_sigmoid", std::slice::from_ref(&x), false, |v| {
        v[0].log_sigmoid()
    });
}

#[test]
fn reductions_and_broadcasts() {
    let x = input(&[2, 3, 4], 11);
    check("sum", std::slice::from_ref(&x), true, |v| v[0].sum());
    check("mean", std::slice::from_ref(&x), true, |v| v[0].mean());
    check("sum_axes", std::slice::from_ref(&x), true, |v| {
        v[0].sum_axes(&[0, 2], false)
    });
    check("mean_axes keepdim", std::slice::from_ref(&x), true, |v| {
        v[0].mean_axes(&[1], true)
    });
    check("broadcast_to", &[input(&[3, 1], 12)], true, |v| {
        v[0].broadcast_to(&[2, 3, 4])
    });
    check("sum_to", std::slice::from_ref(&x), true, |v| {
        v[0].sum_to(&[3, 1])
    });
}

#[test]
fn shape_operations() {
    let x = input(&[2, 3, 4], 13);
    check("reshape", std::slice::from_ref(&x), true, |v| {
        v[0].reshape(&[6, 4])
    });
    check("flatten", std::slice::from_ref(&x), true, |v| {
        v[0].flatten(1)
    });
    check("narrow", std::slice::from_ref(&x), true, |v| {
        v[0].narrow(2, 1, 2)
    });
    check("pad", std::slice::from_ref(&x), true, |v| {
        v[0].pad_axis(1, 2, 1)
    });
    let y = input(&[2, 2, 4], 14);
    check("cat", &[x.clone(), y], true, |v| {
        Tensor::cat(&[v[0].clone(), v[1].clone()], 1)
    });
    check("t", &[input(&[3, 5], 15)], true, |v| v[0].t());
}

#[test]
fn matrix_products() {
    let (a, b) = (input(&[3, 4], 16), input(&[4, 5], 17));
    check("matmul", &[a.clone(), b.clone()], true, |v| {
        v[0].matmul(&v[1])
    });
    let bt = input(&[5, 4], 18);
    check("matmul_t", &[a.clone(), bt.clone()], true, |v| {
        v[0].matmul_t(&v[1])
    });
    let at = input(&[4, 3], 19);
    check("mm ta", &[at.clone(), b], true, |v| {
        v[0].mm(&v[1], true, false)
    });
    check("mm ta tb", &[at, bt], true, |v| v[0].mm(&v[1], true, true));
}

#[test]
fn convolutions() {
    let x = input(&[2, 2, 6, 5], 20);
    let w = input(&[3, 2, 3, 3], 21).mul_scalar(0.5).detach();
    check("conv2d s1 p1", &[x.clone(), w.clone()], true, |v| {
        conv2d(&v[0], &v[1], 1, 1)
    });
    check("conv2d s2 p2", &[x.clone(), w.clone()], true, |v| {
        conv2d(&v[0], &v[1], 2, 2)
    });
    let xt = input(&[2, 3, 3, 3], 22);
    check("conv_transpose2d", &[xt.clone(), w.clone()], true, |v| {
        conv_transpose2d(&v[0], &v[1], 2, 1, 1)
    });
    let w5 = input(&[3, 2, 5, 5], 23).mul_scalar(0.3).detach();
    check("conv_transpose2d k5 s2 p2 op1", &[xt, w5], true, |v| {
        conv_transpose2d(&v[0], &v[1], 2, 2, 1)
    });
}

#[test]
fn normalisation() {
    let x = input(&[4, 3, 2, 2], 24);
    check("batch norm", std::slice::from_ref(&x), false, |v| {
        v[0].normalize(&[0, 2, 3], 1e-5)
    });
    check("layer norm", std::slice::from_ref(&x), false, |v| {
        v[0].normalize(&[1, 2, 3], 1e-5)
    });
}

/// A small convolutional critic in the reference shape: conv, leaky relu, conv, leaky relu,
/// linear, no sigmoid. `p` = [w1, b1, w2, b2, w3, b3].
fn critic(x: &T, p: &[T]) -> T {
    let h = conv2d(x, &p[0], 2, 2)
        .add(&p[1].reshape(&[1, 2, 1, 1]))
        .leaky_relu(0.2);
    let h = conv2d(&h, &p[2], 2, 2)
        .add(&p[3].reshape(&[1, 3, 1, 1]))
        .leaky_relu(0.2);
    h.flatten(1).matmul_t(&p[4]).add(&p[5]).reshape(&[x.dim(0)])
}

/// λ·mean_i (‖∇x̂ D(x̂_i)‖₂ − 1)², the norm over all pixels of each sample.
fn penalty(x_hat: &T, p: &[T]) -> T {
    let scores = critic(x_hat, p);
    let g = &grad(&[scores.sum()], std::slice::from_ref(x_hat), true)[0]; // [n, 1, 6, 6]
    let norms = g.square().sum_axes(&[1, 2, 3], false).sqrt(); // [n]
    norms.add_scalar(-1.0).square().mean().mul_scalar(10.0)
}

fn critic_params() -> Vec<T> {
    let mut rng = Rng::new(31);
    vec![
        rng.normal::<f64>(&[2, 1, 5, 5]).mul_scalar(0.4),
        rng.normal::<f64>(&[2]).mul_scalar(0.1),
        rng.normal::<f64>(&[3, 2, 5, 5]).mul_scalar(0.3),
        rng.normal::<f64>(&[3]).mul_scalar(0.1),
        rng.normal::<f64>(&[1, 12]).mul_scalar(0.5),
        rng.normal::<f64>(&[1]),
    ]
}

#[test]
fn wgan_gp_penalty_gradients_through_the_critic() {
    let mut rng = Rng::new(32);
    let real = rng.uniform::<f64>(&[3, 1, 6, 6], 0.0, 1.0);
    let fake = rng.uniform::<f64>(&[3, 1, 6, 6], 0.0, 1.0);
    let eps = rng.uniform::<f64>(&[3, 1, 1, 1], 0.0, 1.0);
    let x_hat = real
        .mul(&eps)
        .add(&fake.mul(&eps.rsub_scalar(1.0)))
        .detach();

    // The penalty's gradient in the critic's weights needs the double backward.
    let params = critic_params();
    let f = move |v: &[T]| penalty(&x_hat, v);
    let err = check_first_order(&f, &params);
    assert!(err < TOLERANCE, "penalty gradient relative error {err:e}");
}

#[test]
fn penalty_norm_is_per_sample_over_all_pixels() {
    // A linear critic D(x) = Σ w ⊙ x has ∇D = w for every sample, so the penalty is
    // λ(‖w‖ − 1)² exactly; a per-pixel norm would give λ·mean_j(|w_j| − 1)² instead.
    let w = input(&[1, 1, 6, 6], 40);
    let x_hat = input(&[4, 1, 6, 6], 41).requires_grad_();
    let scores = x_hat.mul(&w).sum_axes(&[1, 2, 3], false);
    let g = &grad(&[scores.sum()], std::slice::from_ref(&x_hat), true)[0];
    let norms = g.square().sum_axes(&[1, 2, 3], false).sqrt();
    assert_eq!(norms.shape(), &[4]);
    let got = norms
        .add_scalar(-1.0)
        .square()
        .mean()
        .mul_scalar(10.0)
        .item();
    let w_norm = w.data().iter().map(|v| v * v).sum::<f64>().sqrt();
    let expect = 10.0 * (w_norm - 1.0).powi(2);
    let per_pixel = 10.0
        * w.data()
            .iter()
            .map(|v| (v.abs() - 1.0).powi(2))
            .sum::<f64>()
        / 36.0;
    assert!((got - expect).abs() < 1e-12, "got {got}, expected {expect}");
    assert!(
        (got - per_pixel).abs() > 1e-3,
        "indistinguishable from a per-pixel norm"
    );
}
