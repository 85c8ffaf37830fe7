//! `gantry bench`: times training iterations of the reference WGAN-GP configuration.

use anyhow::{ensure, Context, Result};
use gantry_gan::bench::{run_bench, BenchOptions, BenchReport};
use gantry_gan::config::TrainConfig;

use crate::args::BenchArgs;

/// Benchmarks as `args` say; the last line printed is machine-readable (`BENCH …`).
pub fn bench(args: &BenchArgs) -> Result<()> {
    ensure!(args.iters > 0, "--iters must be at least 1");
    let config = TrainConfig {
        model: args.model,
        threads: args.threads,
        batch_size: args.batch_size,
        dim: args.dim,
        ..BenchOptions::reference(args.iters, args.warmup).config
    };
    config.validate().context("invalid benchmark settings")?;
    gantry_engine::set_threads(args.threads);
    println!(
        "bench: {} {} dim {}, batch {}, n_critic {}, {} warm-up + {} timed generator iterations, {} threads",
        config.loss,
        config.model,
        config.dim,
        config.batch_size,
        config.n_critic,
        args.warmup,
        args.iters,
        gantry_engine::threads()
    );
    let opts = BenchOptions {
        config,
        iters: args.iters,
        warmup: args.warmup,
    };
    let r = gantry_engine::on_pool(|| run_bench(&opts, |line| println!("  {line}")))
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    println!(
        "per generator iteration: {:.3} s median, {:.1} GFLOP ({:.1} executed: the padding's taps are skipped), {:.1} GFLOP/s = {:.0}% of the {:.0} GFLOP/s FMA peak of {} threads",
        r.sec_per_gen_iter,
        r.gflop_per_iter,
        r.executed_gflop_per_iter,
        r.gflops,
        100.0 * r.gflops / r.peak_gflops,
        r.peak_gflops,
        r.threads
    );
    println!("{}", time_breakdown(&r));
    println!(
        "memory: {:.0} MiB after warm-up, {:.0} MiB at the end, {:.0} MiB peak; live tensors {} -> {}",
        r.rss_after_warmup_mb, r.rss_end_mb, r.peak_rss_mb, r.live_tensors.0, r.live_tensors.1
    );
    println!("{}", r.result_line());
    Ok(())
}

/// Where a mean iteration's time went: the convolution and matrix-product kernels' shares and
/// their own GFLOP/s while running, and the rest (element-wise ops, optimisers, graph
/// bookkeeping).
fn time_breakdown(r: &BenchReport) -> String {
    let total = r.mean_sec_per_gen_iter;
    let share = |secs: f64| format!("{secs:.3} s ({:.0}%)", 100.0 * secs / total);
    let mut parts: Vec<String> = r
        .kernel_seconds
        .iter()
        .map(|&(kind, secs)| format!("{} {}", kind.name(), share(secs)))
        .collect();
    let heavy: f64 = r.kernel_seconds.iter().map(|(_, secs)| secs).sum();
    parts.push(format!("other {}", share(total - heavy)));
    format!(
        "time per iteration (mean {total:.3} s): {}; conv and matmul kernels executed {:.1} GFLOP/s",
        parts.join(", "),
        r.executed_gflop_per_iter / heavy
    )
}
