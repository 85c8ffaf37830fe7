//! Writes a demo `eval.json`, `report.html` and its images from synthetic data, so that the
//! report and the browser check can be exercised without a trained model.
//!
//! Usage: `cargo run -p gantry-eval --example demo_report -- OUT_DIR`
//!
//! The "real" data are 10 Gaussian clusters in 64-d; the "generator" drops 3 of them and is
//! slightly noisier, so its metrics sit visibly below the real floor.

use std::error::Error;
use std::path::{Path, PathBuf};

use gantry_eval::{evaluate, write_html, EvalConfig, EvalSet, Features, LineChart, ReportPage};
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, GrayImage, ImageFormat, RgbaImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

const CLASSES: usize = 10;
const DIM: usize = 64;
const GRID: u32 = 8; // samples per grid side
const CELL: u32 = 28; // pixels per sample side

const CONFIG: &str = "# synthetic demo run, no model was trained\n[train]\niterations = 2000\n\
n_critic = 5\nlambda_gp = 10.0\nlr = 1e-4\nbatch_size = 64\n\n[model]\nlatent = 100\n";

fn main() -> Result<(), Box<dyn Error>> {
    let out: PathBuf = std::env::args()
        .nth(1)
        .ok_or("usage: demo_report OUT_DIR")?
        .into();
    std::fs::create_dir_all(&out)?;
    let mut rng = StdRng::seed_from_u64(7);

    // metrics on clusters: real splits vs a generator missing 3 classes
    let centres: Vec<f64> = (0..CLASSES * DIM)
        .map(|_| 4.0 * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let all: Vec<usize> = (0..CLASSES).collect();
    let real_train = sample_set(&mut rng, &centres, &all, 1.0, 1000)?;
    let reference = sample_set(&mut rng, &centres, &all, 1.0, 1000)?;
    let generated = sample_set(&mut rng, &centres, &[0, 1, 2, 3, 4, 5, 6], 1.15, 1000)?;
    let report = evaluate(&reference, &generated, &real_train, &EvalConfig::default())?;
    report.save(&out.join("eval.json"))?;

    // grids: blobs that sharpen as "training" goes on
    let grids: Vec<GrayImage> = (0..8)
        .map(|t| sample_grid(&mut rng, 1.0 - t as f64 / 8.0))
        .collect();
    let last_png = encode_png(&grids[grids.len() - 1])?;
    std::fs::write(out.join("last_grid.png"), &last_png)?;
    let gif = encode_gif(&grids)?;
    std::fs::write(out.join("grids.gif"), &gif)?;

    let charts = curves(&mut rng, report.real.fid);
    charts[0].save_png(&out.join("losses.png"))?;
    let page = ReportPage {
        title: "gantry demo run (synthetic data)",
        config_text: CONFIG,
        eval: Some(&report),
        charts: &charts,
        last_grid_png: Some(&last_png),
        grid_gif: Some(&gif),
    };
    write_html(&page, &out.join("report.html"))?;
    println!(
        "demo report: FID {:.2} (real floor {:.2}), wrote {}",
        report.generated.fid,
        report.real.fid,
        show(&out)
    );
    Ok(())
}

fn show(dir: &Path) -> String {
    dir.join("report.html").display().to_string()
}

/// `n` samples from the clusters in `classes`, with probabilities from a softmax over the
/// negative squared distance to every centre.
fn sample_set(
    rng: &mut StdRng,
    centres: &[f64],
    classes: &[usize],
    noise: f64,
    n: usize,
) -> Result<EvalSet, Box<dyn Error>> {
    let mut features = Vec::with_capacity(n * DIM);
    let mut probs = Vec::with_capacity(n * CLASSES);
    for i in 0..n {
        let c = classes[i % classes.len()];
        let x: Vec<f64> = (0..DIM)
            .map(|j| centres[c * DIM + j] + noise * rng.sample::<f64, _>(StandardNormal))
            .collect();
        probs.extend(softmax_by_distance(&x, centres));
        features.extend(x);
    }
    Ok(EvalSet {
        features: Features::new(features, n, DIM)?,
        probs: Features::new(probs, n, CLASSES)?,
    })
}

fn softmax_by_distance(x: &[f64], centres: &[f64]) -> Vec<f64> {
    let logits: Vec<f64> = centres
        .chunks_exact(DIM)
        .map(|m| -x.iter().zip(m).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / 200.0)
        .collect();
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = logits.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

/// An 8 × 8 grid of 28 × 28 ring-shaped blobs with pixel noise of the given level.
fn sample_grid(rng: &mut StdRng, noise: f64) -> GrayImage {
    let side = GRID * (CELL + 2) + 2;
    GrayImage::from_fn(side, side, |x, y| {
        let (cx, cy) = (
            (x % (CELL + 2)) as f64 - 15.0,
            (y % (CELL + 2)) as f64 - 15.0,
        );
        let radius = 6.0 + ((x / (CELL + 2) + 3 * (y / (CELL + 2))) % 5) as f64;
        let ring = (-((cx * cx + cy * cy).sqrt() - radius).powi(2) / 4.0).exp();
        let value = ring + noise * 0.5 * rng.gen::<f64>();
        image::Luma([(255.0 * value.clamp(0.0, 1.0)) as u8])
    })
}

fn encode_png(img: &GrayImage) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, ImageFormat::Png)?;
    Ok(bytes.into_inner())
}

fn encode_gif(grids: &[GrayImage]) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder.set_repeat(Repeat::Infinite)?;
        for grid in grids {
            let rgba = RgbaImage::from_fn(grid.width(), grid.height(), |x, y| {
                let v = grid.get_pixel(x, y).0[0];
                image::Rgba([v, v, v, 255])
            });
            encoder.encode_frame(Frame::from_parts(
                rgba,
                0,
                0,
                Delay::from_numer_denom_ms(400, 1),
            ))?;
        }
    }
    Ok(bytes)
}

/// WGAN-GP-like loss curves and an FID curve that falls towards the real floor.
fn curves(rng: &mut StdRng, fid_floor: f64) -> Vec<LineChart> {
    let mut noisy = |f: &dyn Fn(f64) -> f64, step: usize| -> Vec<(f64, f64)> {
        (0..2000)
            .step_by(step)
            .map(|i| {
                (
                    i as f64,
                    f(i as f64) + 0.1 * rng.sample::<f64, _>(StandardNormal),
                )
            })
            .collect()
    };
    let critic = noisy(&|t| -3.0 * (-t / 400.0).exp() - 0.4, 10);
    let generator = noisy(&|t| 2.0 * (-t / 500.0).exp() + 0.3, 10);
    let penalty = noisy(&|t| 0.5 * (-t / 300.0).exp() + 0.05, 10);
    let fid: Vec<(f64, f64)> = (0..=10)
        .map(|c| {
            (
                200.0 * c as f64,
                fid_floor + 300.0 * (-(c as f64) / 3.0).exp(),
            )
        })
        .collect();
    vec![
        LineChart::new("losses", "iteration", "loss")
            .with_series("critic", critic)
            .with_series("generator", generator)
            .with_series("gradient penalty", penalty),
        LineChart::new("FID over training", "iteration", "FID")
            .with_series("generator", fid)
            .with_series("real floor", vec![(0.0, fid_floor), (2000.0, fid_floor)]),
    ]
}
