//! `gantry sample`: images from a trained generator, as a grid, single files, or a latent
//! interpolation between two seeds.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use gantry_data::{write_grid_png, write_png, GridLayout};
use gantry_engine::{Rng, Tensor};
use gantry_gan::checkpoint::find_checkpoint;
use gantry_gan::model::Gan;
use gantry_gan::run_state::load_model;

use crate::args::SampleArgs;

/// Images generated per forward pass.
const CHUNK: usize = 256;

/// Samples as `args` say.
pub fn sample(args: &SampleArgs) -> Result<()> {
    ensure!(args.n > 0, "--n must be at least 1");
    ensure!(
        args.steps >= 2,
        "--steps must be at least 2 (both ends of the path)"
    );
    let source = args.source.display();
    let checkpoint =
        find_checkpoint(&args.source).with_context(|| format!("cannot sample from {source}"))?;
    let (config, gan) =
        load_model(&checkpoint).with_context(|| format!("cannot load {}", checkpoint.display()))?;
    let grid = args.grid.unwrap_or(config.grid);
    ensure!(grid > 0, "--grid must be at least 1");

    let (z, cols) = match &args.interpolate {
        Some(seeds) => (
            interpolate(&gan, seeds[0], seeds[1], args.steps),
            args.steps,
        ),
        None => (gan.sample_latent(args.n, &mut Rng::new(args.seed)), grid),
    };
    let images = generate(&gan, &z); // [n, c, h, w]
    let shape = [images.dim(0), images.dim(1), images.dim(2), images.dim(3)];
    if let Some(dir) = &args.separate {
        write_separate(&images, dir)?;
        println!(
            "sample: {} images from {} written to {}",
            shape[0],
            checkpoint.display(),
            dir.display()
        );
        return Ok(());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_output(&checkpoint, args));
    let layout = GridLayout::new(shape[0].div_ceil(cols), cols.min(shape[0])).with_scale(2);
    write_grid_png(&out, images.data(), shape, layout)
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "sample: {} images from {} written to {}",
        shape[0],
        checkpoint.display(),
        out.display()
    );
    Ok(())
}

/// Generator output for latent vectors `z [n, latent]`, in chunks.
fn generate(gan: &Gan, z: &Tensor) -> Tensor {
    let n = z.dim(0);
    let parts: Vec<Tensor> = (0..n)
        .step_by(CHUNK)
        .map(|s| gan.sample(&z.narrow(0, s, CHUNK.min(n - s))))
        .collect();
    Tensor::cat(&parts, 0)
}

/// `steps` latent vectors on the great circle from seed `a`'s vector to seed `b`'s (spherical
/// interpolation keeps each point at the norm a Gaussian latent typically has).
fn interpolate(gan: &Gan, a: u64, b: u64, steps: usize) -> Tensor {
    let za = gan.sample_latent(1, &mut Rng::new(a)).to_vec();
    let zb = gan.sample_latent(1, &mut Rng::new(b)).to_vec();
    let dot: f32 = za.iter().zip(&zb).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let omega = (dot / (norm(&za) * norm(&zb))).clamp(-1.0, 1.0).acos();
    let mut data = Vec::with_capacity(steps * za.len());
    for i in 0..steps {
        let t = i as f32 / (steps - 1) as f32;
        let (wa, wb) = if omega.abs() < 1e-4 {
            (1.0 - t, t)
        } else {
            (
                ((1.0 - t) * omega).sin() / omega.sin(),
                (t * omega).sin() / omega.sin(),
            )
        };
        data.extend(za.iter().zip(&zb).map(|(x, y)| wa * x + wb * y));
    }
    Tensor::from_vec(data, &[steps, za.len()])
}

fn write_separate(images: &Tensor, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let [c, h, w] = [images.dim(1), images.dim(2), images.dim(3)];
    for (i, image) in images.data().chunks(c * h * w).enumerate() {
        let path = dir.join(format!("{i:05}.png"));
        write_png(&path, image, [c, h, w])
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// `RUN_DIR/samples/sample-<seed>.png`, or `interpolate-<a>-<b>.png`.
fn default_output(checkpoint: &Path, args: &SampleArgs) -> PathBuf {
    // Checkpoints live in RUN_DIR/checkpoints/iter-N.
    let run_dir = checkpoint
        .parent()
        .and_then(Path::parent)
        .unwrap_or(checkpoint);
    let name = match &args.interpolate {
        Some(seeds) => format!("interpolate-{}-{}.png", seeds[0], seeds[1]),
        None => format!("sample-{}.png", args.seed),
    };
    run_dir.join("samples").join(name)
}
