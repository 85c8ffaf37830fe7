//! Times each kernel the reference WGAN-GP MNIST model runs (batch 50, DIM 64), on 1 and on 2
//! threads, and prints one table row per kernel: median milliseconds per call, GFLOP/s for the
//! matrix-product kernels, and the 2-thread speed-up.
//!
//! `cargo run --release -p gantry-engine --example kernels [REPEATS]`

use std::time::Instant;

use gantry_engine::kernels::broadcast::binary;
use gantry_engine::kernels::conv::{self, ConvGeom};
use gantry_engine::kernels::elementwise::{map, zip_map};
use gantry_engine::set_threads;

/// A named piece of work and the multiply-adds it executes (0 for element-wise maps).
struct Case {
    name: String,
    macs: usize,
    run: Box<dyn Fn() + Send + Sync>,
}

fn values(len: usize, seed: f32) -> Vec<f32> {
    (0..len).map(|i| ((i as f32 + 1.0) * seed).sin()).collect()
}

/// The three convolution kernels of one layer shape.
fn conv_cases(label: &str, g: ConvGeom) -> Vec<Case> {
    let x = values(g.n * g.c * g.h * g.w, 0.37);
    let w = values(g.o * g.patch(), 0.91);
    let dy = values(g.n * g.o * g.positions(), 1.3);
    let (x2, dy2, w2, x3) = (x.clone(), dy.clone(), w.clone(), x.clone());
    let col = values(g.n * g.positions() * g.patch(), 0.7);
    vec![
        Case {
            name: format!("{label} im2col"),
            macs: 0,
            run: Box::new(move || drop(conv::im2col(&x3, &g))),
        },
        Case {
            name: format!("{label} col2im"),
            macs: 0,
            run: Box::new(move || drop(conv::col2im(&col, &g))),
        },
        Case {
            name: format!("{label} forward"),
            macs: g.macs(),
            run: Box::new(move || drop(conv::forward(&x, &w, &g))),
        },
        Case {
            name: format!("{label} input_grad"),
            macs: g.macs(),
            run: Box::new(move || drop(conv::input_grad(&dy, &w2, &g))),
        },
        Case {
            name: format!("{label} weight_grad"),
            macs: g.macs(),
            run: Box::new(move || drop(conv::weight_grad(&x2, &dy2, &g))),
        },
    ]
}

/// Element-wise maps on the largest activation `[50, 64, 14, 14]`.
fn elementwise_cases() -> Vec<Case> {
    let shape = [50, 64, 14, 14];
    let a = values(shape.iter().product(), 0.37);
    let b = values(a.len(), 0.91);
    let bias = values(64, 0.5);
    let (a2, a3) = (a.clone(), a.clone());
    vec![
        Case {
            name: "map leaky_relu 627k".into(),
            macs: 0,
            run: Box::new(move || drop(map(&a, |v| if v > 0.0 { v } else { 0.2 * v }))),
        },
        Case {
            name: "zip_map mul 627k".into(),
            macs: 0,
            run: Box::new(move || drop(zip_map(&a2, &b, |p, q| p * q))),
        },
        Case {
            name: "bias add 627k".into(),
            macs: 0,
            run: Box::new(move || drop(binary(&a3, &shape, &bias, &[1, 64, 1, 1], |p, q| p + q))),
        },
    ]
}

/// Median seconds per call over `repeats` calls on `threads` threads, after one warm-up.
fn time(case: &Case, threads: usize, repeats: usize) -> f64 {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| {
        set_threads(threads);
        (case.run)();
        let mut times: Vec<f64> = (0..repeats)
            .map(|_| {
                let start = Instant::now();
                (case.run)();
                start.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    })
}

fn main() {
    let repeats = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    // Critic layers 1-3; the generator's transposed convolutions are the input gradients of
    // the same shapes (layer 1 and 2) and of an 8×8 → 4×4 one.
    let layers = [
        (
            "c1 1x28->64x14",
            ConvGeom::new(50, 1, 28, 28, 64, (5, 5), 2, 2),
        ),
        (
            "c2 64x14->128x7",
            ConvGeom::new(50, 64, 14, 14, 128, (5, 5), 2, 2),
        ),
        (
            "c3 128x7->256x4",
            ConvGeom::new(50, 128, 7, 7, 256, (5, 5), 2, 2),
        ),
        (
            "g1 128x8->256x4",
            ConvGeom::new(50, 128, 8, 8, 256, (5, 5), 2, 2),
        ),
    ];
    let mut cases: Vec<Case> = layers.iter().flat_map(|&(l, g)| conv_cases(l, g)).collect();
    cases.extend(elementwise_cases());

    println!(
        "{:<32} {:>9} {:>9} {:>8} {:>8} {:>7}",
        "kernel", "1t ms", "2t ms", "1t GF/s", "2t GF/s", "2t/1t"
    );
    for case in &cases {
        let (t1, t2) = (time(case, 1, repeats), time(case, 2, repeats));
        let gflops = |t: f64| 2.0 * case.macs as f64 / t / 1e9;
        println!(
            "{:<32} {:>9.3} {:>9.3} {:>8.1} {:>8.1} {:>7.2}",
            case.name,
            t1 * 1e3,
            t2 * 1e3,
            gflops(t1),
            gflops(t2),
            t1 / t2
        );
    }
}
