//! Training the reference classifier: softmax cross-entropy built from engine ops, Adam,
//! shuffled mini-batches with small random translations, and the test accuracy after each
//! epoch.

use std::time::Instant;

use gantry_data::{permutation, Dataset};
use gantry_engine::optim::{Adam, Optimizer};
use gantry_engine::{grad, Rng, Tensor};
use gantry_nn::presets::lenet_classifier;

use crate::classifier::{Classifier, ClassifierInfo};
use crate::error::{EvalError, Result};

/// Settings of [`train_classifier`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierTraining {
    /// Passes over the training split.
    pub epochs: usize,
    /// Images per Adam step.
    pub batch_size: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Factor applied to the learning rate after each epoch.
    pub lr_decay: f64,
    /// Seed of initialisation, shuffling and translations.
    pub seed: u64,
    /// Channels of the first convolution (the second has twice as many).
    pub width: usize,
    /// Width of the penultimate (feature) layer.
    pub features: usize,
    /// Largest random translation of a training image, in pixels along each axis.
    pub shift_px: usize,
}

impl Default for ClassifierTraining {
    /// Four epochs of batches of 64 at Adam's usual 1e-3, decayed by 0.7 per epoch; a
    /// 32/64-channel net with 128 features (about 455k parameters, 1.8 MB as f32);
    /// translations of up to 2 pixels.
    fn default() -> Self {
        Self {
            epochs: 4,
            batch_size: 64,
            lr: 1e-3,
            lr_decay: 0.7,
            seed: 0,
            width: 32,
            features: 128,
            shift_px: 2,
        }
    }
}

/// Mean softmax cross-entropy of `logits` `[n, k]` against class `labels` (length `n`):
/// `-(1/n) Σᵢ log softmax(logitsᵢ)[labelᵢ]`, with log-softmax `x - m - log Σ exp(x - m)` and
/// the row maximum `m` a constant (it cancels, so it needs no gradient).
pub fn cross_entropy(logits: &Tensor, labels: &[u8]) -> Tensor {
    let (n, k) = (logits.dim(0), logits.dim(1));
    let row_max: Vec<f32> = logits
        .data()
        .chunks_exact(k)
        .map(|row| row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)))
        .collect();
    let shifted = logits.sub(&Tensor::from_vec(row_max, &[n, 1])); // [n, k]
    let log_norm = shifted.exp().sum_axes(&[1], true).log(); // [n, 1]
    let log_probs = shifted.sub(&log_norm); // [n, k]

    let mut one_hot = vec![0.0; n * k];
    for (i, &label) in labels.iter().enumerate() {
        one_hot[i * k + usize::from(label)] = 1.0;
    }
    let picked = log_probs.mul(&Tensor::from_vec(one_hot, &[n, k]));
    picked.sum().mul_scalar(-1.0 / n as f32)
}

/// Copies image `src` (`[c, h, w]`) into `dst` moved by `(dy, dx)` pixels, zero-filling the
/// uncovered border.
fn translate(src: &[f32], dst: &mut [f32], [c, h, w]: [usize; 3], dy: isize, dx: isize) {
    dst.fill(0.0);
    for ch in 0..c {
        for y in 0..h {
            let sy = y as isize - dy;
            if sy < 0 || sy >= h as isize {
                continue;
            }
            for x in 0..w {
                let sx = x as isize - dx;
                if sx >= 0 && sx < w as isize {
                    dst[(ch * h + y) * w + x] = src[(ch * h + sy as usize) * w + sx as usize];
                }
            }
        }
    }
}

/// The images and labels of `indices`, each moved by a random translation of at most
/// `shift` pixels: `([b, c, h, w] pixels, labels)`.
fn batch(
    data: &Dataset,
    labels: &[u8],
    indices: &[usize],
    shift: usize,
    rng: &mut Rng,
) -> (Tensor, Vec<u8>) {
    let [_, c, h, w] = data.shape();
    let len = data.image_len();
    let mut pixels = vec![0.0; indices.len() * len];
    let mut offset = || rng.below(2 * shift + 1) as isize - shift as isize;
    for (dst, &i) in pixels.chunks_exact_mut(len).zip(indices) {
        let src = &data.images()[i * len..(i + 1) * len];
        let (dy, dx) = (offset(), offset());
        translate(src, dst, [c, h, w], dy, dx);
    }
    let picked = indices.iter().map(|&i| labels[i]).collect();
    (Tensor::from_vec(pixels, &[indices.len(), c, h, w]), picked)
}

/// Trains a [`lenet_classifier`] on `train` and reports its accuracy on `test` after each
/// epoch through `log`. Both splits need labels and the same image shape.
pub fn train_classifier(
    dataset: &str,
    train: &Dataset,
    test: &Dataset,
    opts: &ClassifierTraining,
    log: &mut dyn FnMut(&str),
) -> Result<Classifier> {
    let no_labels = |d: &Dataset| EvalError::Network(format!("{} has no labels", d.source()));
    let labels = train.labels().ok_or_else(|| no_labels(train))?;
    test.labels().ok_or_else(|| no_labels(test))?;
    let [_, c, h, w] = train.shape();
    if test.shape()[1..] != [c, h, w] {
        let problem = format!(
            "train images {:?}, test images {:?}",
            train.shape(),
            test.shape()
        );
        return Err(EvalError::Network(problem));
    }
    if opts.batch_size == 0 || opts.batch_size > train.len() {
        let problem = format!("batch size {} for {} images", opts.batch_size, train.len());
        return Err(EvalError::Network(problem));
    }
    let classes = labels
        .iter()
        .map(|&l| usize::from(l) + 1)
        .max()
        .unwrap_or(1);

    let info = ClassifierInfo {
        dataset: dataset.to_owned(),
        input_shape: vec![c, h, w],
        classes,
        spec: lenet_classifier(opts.width, opts.features, classes),
        test_accuracy: 0.0,
        n_test: test.len(),
        n_train: train.len(),
        epochs: opts.epochs,
        seed: opts.seed,
    };
    let mut rng = Rng::stream(opts.seed, 1);
    let mut classifier = Classifier::build(info, &mut rng)?;
    let n_params = classifier.net.num_params();
    log(&format!(
        "classifier: {n_params} parameters; {} training and {} test images of {c}x{h}x{w}, \
         {classes} classes",
        train.len(),
        test.len()
    ));

    let mut adam = Adam::new(opts.lr, 0.9, 0.999, 1e-8);
    let steps = train.len() / opts.batch_size;
    for epoch in 0..opts.epochs {
        let started = Instant::now();
        adam.set_lr(opts.lr * opts.lr_decay.powi(epoch as i32));
        let order = permutation(opts.seed, epoch as u64, train.len());
        let mut loss_sum = 0.0;
        for indices in order.chunks_exact(opts.batch_size) {
            let (x, y) = batch(train, labels, indices, opts.shift_px, &mut rng);
            let loss = cross_entropy(&classifier.net.forward(&x), &y);
            let grads = grad(std::slice::from_ref(&loss), &classifier.net.params(), false);
            adam.step(&mut classifier.net.params_mut(), &grads);
            loss_sum += f64::from(loss.item());
        }
        let elapsed_s = started.elapsed().as_secs_f64();
        let accuracy = classifier.accuracy(test)?;
        classifier.info.test_accuracy = accuracy;
        log(&format!(
            "epoch {}/{}: lr {:.1e}, loss {:.4}, test accuracy {:.2}% ({:.1} s, {:.0} images/s)",
            epoch + 1,
            opts.epochs,
            adam.lr(),
            loss_sum / steps as f64,
            100.0 * accuracy,
            elapsed_s,
            (steps * opts.batch_size) as f64 / elapsed_s
        ));
    }
    Ok(classifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_matches_formula_and_gradient_is_softmax_minus_one_hot() {
        let logits =
            Tensor::from_vec(vec![1.0, 2.0, 0.5, -1.0, 0.0, 3.0], &[2, 3]).requires_grad_();
        let labels = [1u8, 0];
        let loss = cross_entropy(&logits, &labels);

        let p = crate::classifier::softmax_rows(logits.data(), 3);
        let expected = -(p[1].ln() + p[3].ln()) / 2.0;
        assert!(
            (f64::from(loss.item()) - expected).abs() < 1e-5,
            "{}",
            loss.item()
        );

        let g = &grad(&[loss], &[logits], false)[0];
        let one_hot = [0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        for i in 0..6 {
            let want = (p[i] - one_hot[i]) / 2.0;
            assert!(
                (f64::from(g.data()[i]) - want).abs() < 1e-5,
                "{i}: {:?}",
                g.data()
            );
        }
    }

    #[test]
    fn translation_moves_pixels_and_fills_zeros() {
        let src: Vec<f32> = (1..=9).map(|v| v as f32).collect(); // 3x3
        let mut dst = vec![0.0; 9];
        translate(&src, &mut dst, [1, 3, 3], 1, -1);
        assert_eq!(dst, [0.0, 0.0, 0.0, 2.0, 3.0, 0.0, 5.0, 6.0, 0.0]);
        translate(&src, &mut dst, [1, 3, 3], 0, 0);
        assert_eq!(dst, src);
    }

    #[test]
    fn learns_two_separable_classes() {
        // class 0: bright top half, class 1: bright bottom half, 8x8 images
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for i in 0..128 {
            let class = i % 2;
            images.extend((0..64).map(|p| if (p / 32) == class { 0.9 } else { 0.1 }));
            labels.push(class as u8);
        }
        let data = Dataset::new(images, Some(labels), [1, 8, 8], "halves").unwrap();
        let opts = ClassifierTraining {
            epochs: 3,
            batch_size: 16,
            width: 4,
            features: 8,
            shift_px: 1,
            ..ClassifierTraining::default()
        };
        let classifier = train_classifier("halves", &data, &data, &opts, &mut |_| {}).unwrap();
        assert!(
            classifier.info.test_accuracy > 0.95,
            "{:?}",
            classifier.info
        );

        let path =
            std::env::temp_dir().join(format!("gantry-clf-{}.safetensors", std::process::id()));
        classifier.save(&path).unwrap();
        let back = Classifier::load(&path).unwrap();
        assert_eq!(back.info, classifier.info);
        assert_eq!(back.accuracy(&data).unwrap(), classifier.info.test_accuracy);
        let set = back.embed(data.images()).unwrap();
        assert_eq!((set.features.n, set.features.d, set.probs.d), (128, 8, 2));
        std::fs::remove_file(&path).ok();
        std::fs::remove_file(path.with_extension("json")).ok();
    }
}
