//! The energy-based GAN (Zhao, Mathieu & LeCun, 2017): the critic is an auto-encoder, the
//! energy of an image its per-sample sum of squared reconstruction errors, and the generator is
//! pushed away from producing identical samples by the pulling-away term on the encoder's
//! codes.
//!
//! The energy is the squared norm ‖AE(x) − x‖² of the paper's residual: summed over pixels
//! rather than averaged, because a mean over the 784 pixels of a [0, 1] image stays below 1,
//! where no margin of useful size ever lets go of a generated sample, and because a mean
//! divides every pixel's gradient by the image size. The squared norm rather than the norm
//! itself keeps the gradient finite at a perfect reconstruction. On this scale a blank
//! reconstruction of an MNIST digit costs 88 on average, and the margin is set accordingly
//! (see [`crate::config::TrainConfig::ebgan_margin`]).

use gantry_engine::Tensor;
use gantry_nn::{presets, Network};

/// Number of leading layers of an ebgan critic that form its encoder.
pub fn encoder_len(critic: &Network) -> usize {
    presets::encoder_len(critic.spec())
}

/// Per-sample energies `[n]` of images `x [n, c, h, w]`: Σ over pixels of (AE(x) − x)².
pub fn energy(critic: &Network, x: &Tensor) -> Tensor {
    reconstruction_energy(&critic.forward(x), x)
}

/// Per-sample Σ over pixels of (recon − x)²: `[n, …] → [n]`.
fn reconstruction_energy(recon: &Tensor, x: &Tensor) -> Tensor {
    let axes: Vec<usize> = (1..x.ndim()).collect();
    recon.sub(x).square().sum_axes(&axes, false)
}

/// The pulling-away term of codes `s [n, d]`:
/// PT = 1/(n(n-1)) Σ_{i≠j} (sᵢᵀsⱼ / (‖sᵢ‖‖sⱼ‖))².
pub fn pullaway(codes: &Tensor) -> Tensor {
    let n = codes.dim(0);
    let norms = codes.square().sum_axes(&[1], true).add_scalar(1e-12).sqrt(); // [n, 1]
    let unit = codes.div(&norms);
    let cosines = unit.matmul_t(&unit).square(); // [n, n], diagonal = 1
    let off_diagonal = cosines.sum().add_scalar(-(n as f32));
    off_diagonal.mul_scalar(1.0 / (n * (n - 1)) as f32)
}

/// The generator's loss: mean energy of its samples plus `weight`·P·PT of their codes,
/// where P is the number of values in one image.
///
/// `weight` is the paper's, which weighs PT against an energy averaged over pixels; the
/// energy here is summed over them, P times larger, so PT is scaled by P to keep the
/// paper's balance. Unscaled, PT at 0.1 was a thousandth of the energy and every generator
/// tried (margins 10 to 100, lr up to 1e-3, weights up to 20) collapsed to one image
/// within 400 iterations; scaled, the samples of the same run differ from cell to cell.
pub fn generator_loss(critic: &Network, fake: &Tensor, weight: f64) -> Tensor {
    let k = encoder_len(critic);
    let codes = critic.forward_range(fake, 0..k); // [n, 2·dim, h/4, w/4]
    let recon = critic.forward_range(&codes, k..critic.layers().len()); // [n, c, h, w]
    let per_image = fake.numel() / fake.dim(0).max(1);
    let scale = (weight * per_image as f64) as f32;
    reconstruction_energy(&recon, fake)
        .mean()
        .add(&pullaway(&codes.flatten(1)).mul_scalar(scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pullaway_is_zero_for_orthogonal_codes_and_one_for_identical() {
        let orthogonal = Tensor::from_vec(vec![1.0, 0.0, 0.0, 2.0], &[2, 2]);
        assert!(pullaway(&orthogonal).item().abs() < 1e-6);
        let same = Tensor::from_vec(vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0], &[3, 2]);
        assert!((pullaway(&same).item() - 1.0).abs() < 1e-5);
    }
}
