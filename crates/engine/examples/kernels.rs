//! Times each kernel the reference WGAN-GP MNIST model runs (batch 50, DIM 64), on 1 and on 2
//! threads, and prints one table row per kernel: the fastest call's milliseconds (other work
//! on a shared machine only ever slows a call down, so the fastest of many is the steadiest
//! figure), the CPU time of the 1-thread run, GFLOP/s of the model's multiply-adds for the
//! matrix-product kernels, and the 2-thread speed-up.
//!
//! `cargo run --release -p gantry-engine --example kernels [REPEATS]`

use std::time::Instant;

use gantry_engine::kernels::broadcast::binary;
use gantry_engine::kernels::conv::{self, ConvGeom};
use gantry_engine::kernels::elementwise::{map, zip_map};
use gantry_engine::kernels::matmul::{gemm, MatRef};
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
    let (x2, dy2, w2) = (x.clone(), dy.clone(), w.clone());
    vec![
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

/// The generator's first linear layer, `[50, 128] · [128, 4096]`, and its weight gradient.
fn linear_cases() -> Vec<Case> {
    let (n, k, m) = (50, 128, 4096);
    let x = values(n * k, 0.37);
    let w = values(k * m, 0.91);
    let dy = values(n * m, 1.3);
    let x2 = x.clone();
    vec![
        Case {
            name: "linear 50x128 . 128x4096".into(),
            macs: n * k * m,
            run: Box::new(move || drop(gemm(MatRef::new(&x, n, k), MatRef::new(&w, k, m)))),
        },
        Case {
            name: "linear weight grad".into(),
            macs: n * k * m,
            run: Box::new(move || drop(gemm(MatRef::new(&x2, n, k).t(), MatRef::new(&dy, n, m)))),
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

/// CPU seconds the calling thread has run, which other work on a busy machine disturbs far
/// less than wall-clock time.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_seconds() -> f64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, now: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut now = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `clock_gettime` from the C library std links, with a valid clock id and a
    // pointer to a `timespec` laid out as on 64-bit Linux.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if rc == 0 {
        now.sec as f64 + now.nsec as f64 * 1e-9
    } else {
        f64::NAN
    }
}

/// NaN: no per-thread CPU clock on this platform.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_seconds() -> f64 {
    f64::NAN
}

/// The fastest (wall, calling-thread CPU) seconds per call over `repeats` calls on `threads`
/// threads, after one warm-up.
fn time(case: &Case, threads: usize, repeats: usize) -> (f64, f64) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| {
        set_threads(threads);
        (case.run)();
        let (wall, cpu): (Vec<f64>, Vec<f64>) = (0..repeats)
            .map(|_| {
                let (start, cpu_start) = (Instant::now(), thread_cpu_seconds());
                (case.run)();
                (
                    start.elapsed().as_secs_f64(),
                    thread_cpu_seconds() - cpu_start,
                )
            })
            .unzip();
        (fastest(&wall), fastest(&cpu))
    })
}

fn fastest(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn main() {
    let repeats = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40);
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
    cases.extend(linear_cases());
    cases.extend(elementwise_cases());

    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6}",
        "kernel", "1t cpu", "1t ms", "2t ms", "1t GF/s", "2t GF/s", "2t/1t"
    );
    for case in &cases {
        let ((t1, cpu1), (t2, _)) = (time(case, 1, repeats), time(case, 2, repeats));
        let gflops = |t: f64| 2.0 * case.macs as f64 / t / 1e9;
        println!(
            "{:<28} {:>8.3} {:>8.3} {:>8.3} {:>8.1} {:>8.1} {:>6.2}",
            case.name,
            cpu1 * 1e3,
            t1 * 1e3,
            t2 * 1e3,
            gflops(t1),
            gflops(t2),
            t1 / t2
        );
    }
}
