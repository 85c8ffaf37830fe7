//! Prints how the critic rates real and generated images over the first iterations of a run on
//! the shipped MNIST subset: the numbers behind the EBGAN margin and the diagnosis of a
//! collapsing generator.
//!
//! ```sh
//! cargo run --release -p gantry-gan --example scores -- LOSS ITERS EVERY ['key = value' ...]
//! ```
//!
//! Every `EVERY` generator iterations one line: the mean score (the energy, for ebgan) of 64
//! held-out real images and of 64 generated ones as the critic's loss sees them, the generated
//! ones as the generator's loss sees them (different when batch statistics differ), and the
//! mean and the spread (standard deviation across samples, averaged over pixels) of the
//! generated pixels. Extra arguments are TOML keys over the loss defaults.

use gantry_data::{load_idx_split, shipped_mnist_dir, Batcher, Dataset, Split};
use gantry_engine::{no_grad, Rng, Tensor};
use gantry_gan::config::{ConfigLayer, TrainConfig};
use gantry_gan::model::{build_model, Gan};

const PROBE: usize = 64;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [loss, iters, every, keys @ ..] = args.as_slice() else {
        return Err("usage: scores LOSS ITERS EVERY ['key = value' ...]".into());
    };
    let text = format!("loss = \"{loss}\"\n{}", keys.join("\n"));
    let config = TrainConfig::resolve(&[ConfigLayer::from_toml_str(&text, "arguments")?])?;
    let (iters, every): (u64, u64) = (iters.parse()?, every.parse()?);
    gantry_engine::set_threads(config.threads);

    let data = load_idx_split(&shipped_mnist_dir(), Split::Train)?;
    let mut gan = build_model(&config, &mut Rng::stream(config.seed, 0))?;
    let mut batcher = Batcher::new(config.batch_size, config.seed)?;
    let mut noise = Rng::stream(config.seed, 1);
    let probe_real = images(&data, data.len() - PROBE, PROBE);
    let probe_z = gan.sample_latent(PROBE, &mut Rng::stream(config.seed, 2));

    println!("iter  real(critic)  fake(critic)  fake(gen.)  fake mean  fake spread");
    for it in 0..=iters {
        if it % every == 0 {
            report(&gan, it, &probe_real, &probe_z);
        }
        if it == iters {
            break;
        }
        for _ in 0..config.n_critic {
            let batch = batcher.next_batch(&data)?;
            let real = Tensor::from_vec(batch.images, &[config.batch_size, 1, 28, 28]);
            gan.critic_step(&real, &mut noise)
                .map_err(|d| d.to_string())?;
        }
        gan.generator_step(config.batch_size, &mut noise)
            .map_err(|d| d.to_string())?;
    }
    Ok(())
}

/// `n` images from `start`: `[n, 1, 28, 28]`.
fn images(data: &Dataset, start: usize, n: usize) -> Tensor {
    let k = data.image_len();
    let pixels = data.images()[start * k..(start + n) * k].to_vec();
    Tensor::from_vec(pixels, &[n, 1, 28, 28])
}

fn report(gan: &Gan, it: u64, real: &Tensor, z: &Tensor) {
    let fake = gan.generate(z); // [64, 1, 28, 28]
    let terms = gan
        .objective
        .critic_loss(&gan.critic, real, &fake, &mut Rng::new(0));
    let alone = no_grad(|| gan.objective.scores(&gan.critic, &fake)).to_vec();
    let (pixel_mean, spread) = pixel_stats(&fake);
    println!(
        "{it:>4}  {:>11.4}  {:>11.4}  {:>11.4}  {pixel_mean:>9.4}  {spread:>11.4}",
        terms.real_score,
        terms.fake_score,
        mean(&alone),
    );
}

fn mean(v: &[f32]) -> f64 {
    v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
}

/// The mean pixel, and the standard deviation of each pixel across samples averaged over
/// pixels: near 0 when every sample is the same image.
fn pixel_stats(x: &Tensor) -> (f64, f64) {
    let n = x.dim(0);
    let k = x.numel() / n;
    let data = x.data();
    let mut spread = 0.0;
    for p in 0..k {
        let column: Vec<f32> = (0..n).map(|i| data[i * k + p]).collect();
        let m = mean(&column);
        let var = column.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / n as f64;
        spread += var.sqrt();
    }
    (mean(data), spread / k as f64)
}
