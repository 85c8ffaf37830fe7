//! The training-speed benchmark: the reference MNIST WGAN-GP configuration on random images
//! of MNIST shape, timed per generator iteration (one generator step and `n_critic` critic
//! steps), with achieved GFLOP/s against the machine's measured peak.

use std::time::Instant;

use gantry_engine::kernels::counters::{
    kernel_seconds, live_tensors, macs_executed, model_macs, KernelKind,
};
use gantry_engine::kernels::peak::{measure_peak_gflops, peak_rss_mb, rss_mb};
use gantry_engine::{threads, Rng, Tensor};

use crate::config::TrainConfig;
use crate::model::{build_model, Diverged};

/// What to benchmark.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// The model and objective ([`BenchOptions::reference`]: the paper's MNIST model).
    pub config: TrainConfig,
    /// Measured generator iterations.
    pub iters: usize,
    /// Unmeasured generator iterations first.
    pub warmup: usize,
}

impl BenchOptions {
    /// The reference configuration: WGAN-GP, DCGAN with DIM 64, batch 50, latent 128,
    /// 5 critic steps per generator step, Adam 1e-4 with β = (0.5, 0.9).
    pub fn reference(iters: usize, warmup: usize) -> Self {
        let config = TrainConfig {
            dim: 64,
            lr: 1e-4,
            beta1: 0.5,
            beta2: 0.9,
            ..TrainConfig::default()
        };
        BenchOptions {
            config,
            iters,
            warmup,
        }
    }
}

/// Measured speed of one benchmark run.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// Median seconds per generator iteration.
    pub sec_per_gen_iter: f64,
    /// Real images consumed per second (batch × n_critic per iteration).
    pub images_per_sec: f64,
    /// Achieved GFLOP/s: 2 × the multiply-adds of every conv and matmul as the model defines
    /// them (the zero padding's taps included, as FLOP counters count them), per second.
    pub gflops: f64,
    /// Measured peak GFLOP/s of the threads used.
    pub peak_gflops: f64,
    /// Peak resident memory in MiB.
    pub peak_rss_mb: f64,
    /// Resident memory after warm-up and at the end, in MiB.
    pub rss_after_warmup_mb: f64,
    /// Resident memory at the end, in MiB.
    pub rss_end_mb: f64,
    /// Tensors alive after warm-up and at the end: equal when every step's graph is freed.
    pub live_tensors: (isize, isize),
    /// GFLOP per generator iteration, as the model defines them.
    pub gflop_per_iter: f64,
    /// GFLOP per generator iteration the kernels executed: fewer, since the convolutions
    /// leave out the taps that read the zero padding.
    pub executed_gflop_per_iter: f64,
    /// Threads used.
    pub threads: usize,
    /// Mean seconds per generator iteration spent in each kind of heavy kernel, in the order
    /// of [`KernelKind::ALL`]; the rest of the iteration went to element-wise ops, optimisers
    /// and graph bookkeeping.
    pub kernel_seconds: Vec<(KernelKind, f64)>,
    /// Mean seconds per generator iteration (the breakdown's total).
    pub mean_sec_per_gen_iter: f64,
}

impl BenchReport {
    /// The machine-readable last line.
    pub fn result_line(&self) -> String {
        format!(
            "BENCH sec_per_gen_iter={:.4} images_per_sec={:.1} gflops={:.1} peak_gflops={:.1} peak_rss_mb={:.0}",
            self.sec_per_gen_iter, self.images_per_sec, self.gflops, self.peak_gflops, self.peak_rss_mb
        )
    }
}

/// Runs the benchmark, calling `log` with a line per measured iteration.
pub fn run_bench(opts: &BenchOptions, mut log: impl FnMut(&str)) -> Result<BenchReport, Diverged> {
    let c = &opts.config;
    let mut rng = Rng::new(c.seed);
    let mut gan = build_model(c, &mut rng).expect("the reference configuration builds");
    let shape = [c.batch_size, c.channels, c.image_size, c.image_size];
    let pool: Vec<Tensor> = (0..8).map(|_| rng.uniform(&shape, 0.0, 1.0)).collect();
    let mut step = 0;
    let mut iteration = |rng: &mut Rng| -> Result<f64, Diverged> {
        let start = Instant::now();
        gan.generator_step(c.batch_size, rng)?;
        for _ in 0..c.n_critic {
            gan.critic_step(&pool[step % pool.len()], rng)?;
            step += 1;
        }
        Ok(start.elapsed().as_secs_f64())
    };
    for _ in 0..opts.warmup {
        iteration(&mut rng)?;
    }
    let (rss_after_warmup_mb, live_start) = (rss_mb(), live_tensors());
    let (macs_start, executed_start) = (model_macs(), macs_executed());
    let kernels_start = KernelKind::ALL.map(kernel_seconds);
    let mut times = Vec::new();
    for i in 0..opts.iters {
        let t = iteration(&mut rng)?;
        log(&format!("iteration {}/{}: {:.3} s", i + 1, opts.iters, t));
        times.push(t);
    }
    let per_iter = 1.0 / opts.iters.max(1) as f64;
    let macs = (model_macs() - macs_start) as f64 * per_iter;
    let executed = (macs_executed() - executed_start) as f64 * per_iter;
    let kernel_seconds = KernelKind::ALL
        .iter()
        .zip(kernels_start)
        .map(|(&kind, start)| (kind, (kernel_seconds(kind) - start) * per_iter))
        .collect();
    let mean_sec_per_gen_iter = times.iter().sum::<f64>() * per_iter;
    let median = median(&mut times);
    let gflop_per_iter = 2.0 * macs / 1e9;
    let threads = threads();
    Ok(BenchReport {
        sec_per_gen_iter: median,
        images_per_sec: (c.batch_size * c.n_critic) as f64 / median,
        gflops: gflop_per_iter / median,
        peak_gflops: measure_peak_gflops(threads),
        peak_rss_mb: peak_rss_mb(),
        rss_after_warmup_mb,
        rss_end_mb: rss_mb(),
        live_tensors: (live_start, live_tensors()),
        gflop_per_iter,
        executed_gflop_per_iter: 2.0 * executed / 1e9,
        threads,
        kernel_seconds,
        mean_sec_per_gen_iter,
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_does_not_grow_over_a_thousand_iterations() {
        let config = TrainConfig {
            dim: 4,
            batch_size: 4,
            latent: 8,
            ..TrainConfig::default()
        };
        let opts = BenchOptions {
            config,
            iters: 1000,
            warmup: 20,
        };
        let report = run_bench(&opts, |_| {}).expect("no divergence");
        // Every step's graph is freed: the same tensors are alive before and after, and the
        // resident set stays flat (a little allocator slack allowed).
        assert_eq!(
            report.live_tensors.0, report.live_tensors.1,
            "tensors leak across steps"
        );
        let growth = report.rss_end_mb - report.rss_after_warmup_mb;
        assert!(
            growth < 8.0,
            "resident memory grew by {growth:.1} MiB over 1000 iterations"
        );
        assert!(report.gflop_per_iter > 0.0);
        assert!(report.executed_gflop_per_iter <= report.gflop_per_iter);
    }
}
