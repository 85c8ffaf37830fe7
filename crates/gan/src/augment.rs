//! Adversarial augmentation of the real data: real images nudged against the critic (so that
//! it rates them as less real) are kept in a bounded pool, and a share of every real batch is
//! drawn from that pool, growing the training set with hard real examples.
//!
//! One step is the fast gradient sign method, x' = clip(x − ε·sign(∇x D(x)), 0, 1); with k
//! steps each moves by ε/k and the result is projected back into the ε-ball around x.

use gantry_engine::{grad, Rng, Tensor};
use gantry_nn::Network;

use crate::objective::Objective;

/// Perturbs real images `x [n, c, h, w]` to lower the critic's rating of them, staying within
/// `eps` of `x` (max norm) and inside [0, 1].
pub fn perturb(
    objective: &Objective,
    critic: &Network,
    x: &Tensor,
    eps: f64,
    steps: usize,
) -> Tensor {
    let steps = steps.max(1);
    let alpha = (eps / steps as f64) as f32;
    let eps = eps as f32;
    let mut adv = x.detach();
    for _ in 0..steps {
        let leaf = adv.requires_grad_();
        let realness = objective.realness(critic, &leaf).sum();
        let g = &grad(&[realness], std::slice::from_ref(&leaf), false)[0];
        let moved: Vec<f32> = leaf
            .data()
            .iter()
            .zip(g.data())
            .zip(x.data())
            .map(|((&a, &d), &orig)| {
                let step = a - alpha * d.signum() * (d != 0.0) as u8 as f32;
                step.clamp(orig - eps, orig + eps).clamp(0.0, 1.0)
            })
            .collect();
        adv = Tensor::from_vec(moved, x.shape());
    }
    adv
}

/// A bounded first-in-first-out pool of images.
#[derive(Clone, Debug)]
pub struct AdversarialPool {
    images: Vec<f32>,
    image_shape: Vec<usize>,
    capacity: usize,
    len: usize,
    next: usize,
}

impl AdversarialPool {
    /// An empty pool of at most `capacity` images of `image_shape` (`[c, h, w]`).
    pub fn new(capacity: usize, image_shape: &[usize]) -> Self {
        let image_len: usize = image_shape.iter().product();
        AdversarialPool {
            images: vec![0.0; capacity * image_len],
            image_shape: image_shape.to_vec(),
            capacity,
            len: 0,
            next: 0,
        }
    }

    fn image_len(&self) -> usize {
        self.image_shape.iter().product()
    }

    /// Images held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the pool holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The images held, in slot order (the order [`Self::sample`] indexes): `[len, c, h, w]`.
    pub fn images(&self) -> Tensor {
        let mut shape = vec![self.len];
        shape.extend_from_slice(&self.image_shape);
        Tensor::from_vec(self.images[..self.len * self.image_len()].to_vec(), &shape)
    }

    /// The slot the next added image overwrites.
    pub fn next_slot(&self) -> usize {
        self.next
    }

    /// Replaces the contents by `images` (flat, in slot order) with `next` the slot to be
    /// overwritten next: the state [`Self::images`] and [`Self::next_slot`] describe. Refuses a
    /// state this pool could not have reached: a partial image, more images than its capacity,
    /// or a `next` slot that does not follow them.
    pub fn restore(&mut self, images: &[f32], next: usize) -> Result<(), String> {
        let k = self.image_len();
        if !images.len().is_multiple_of(k) {
            return Err(format!(
                "{} values are no whole number of {k}-value images",
                images.len()
            ));
        }
        let len = images.len() / k;
        let expected_next = if len < self.capacity { len } else { next };
        if len > self.capacity || next != expected_next || (next >= self.capacity && len > 0) {
            let capacity = self.capacity;
            return Err(format!(
                "{len} images with next slot {next} do not fit a pool of {capacity}"
            ));
        }
        self.images[..images.len()].copy_from_slice(images);
        self.images[images.len()..].fill(0.0);
        (self.len, self.next) = (len, next);
        Ok(())
    }

    /// Adds a batch `[n, c, h, w]`, replacing the oldest images once full.
    pub fn add(&mut self, batch: &Tensor) {
        let k = self.image_len();
        for image in batch.data().chunks(k) {
            if self.capacity == 0 {
                return;
            }
            self.images[self.next * k..(self.next + 1) * k].copy_from_slice(image);
            self.next = (self.next + 1) % self.capacity;
            self.len = (self.len + 1).min(self.capacity);
        }
    }

    /// `n` images drawn uniformly with replacement: `[n, c, h, w]`.
    pub fn sample(&self, n: usize, rng: &mut Rng) -> Tensor {
        let k = self.image_len();
        let mut data = Vec::with_capacity(n * k);
        for _ in 0..n {
            let i = rng.below(self.len);
            data.extend_from_slice(&self.images[i * k..(i + 1) * k]);
        }
        let mut shape = vec![n];
        shape.extend_from_slice(&self.image_shape);
        Tensor::from_vec(data, &shape)
    }

    /// Replaces the first `round(ratio·n)` images of `real` by pool images (none while empty).
    pub fn mix(&self, real: &Tensor, ratio: f64, rng: &mut Rng) -> Tensor {
        let n = real.dim(0);
        let m = ((ratio * n as f64).round() as usize).min(n);
        if self.is_empty() || m == 0 {
            return real.clone();
        }
        let drawn = self.sample(m, rng);
        Tensor::cat(&[drawn, real.narrow(0, m, n - m)], 0)
    }
}

#[cfg(test)]
mod tests {
    use gantry_nn::{presets, Network};

    use super::*;

    #[test]
    fn pool_never_exceeds_its_size_and_keeps_the_newest() {
        let mut pool = AdversarialPool::new(5, &[1, 1, 2]);
        for b in 0..4 {
            pool.add(&Tensor::full(&[2, 1, 1, 2], b as f32));
            assert!(pool.len() <= 5);
        }
        assert_eq!(pool.len(), 5);
        let drawn = pool.sample(50, &mut Rng::new(0));
        assert!(
            drawn.data().iter().all(|&v| v >= 1.0),
            "oldest batch was evicted"
        );
    }

    #[test]
    fn a_restored_pool_draws_and_evicts_exactly_as_the_original() {
        let mut pool = AdversarialPool::new(3, &[1, 1, 2]);
        for b in 0..4 {
            pool.add(&Tensor::full(&[1, 1, 1, 2], b as f32));
        }
        let mut copy = AdversarialPool::new(3, &[1, 1, 2]);
        copy.restore(pool.images().data(), pool.next_slot())
            .unwrap();
        for p in [&mut pool, &mut copy] {
            p.add(&Tensor::full(&[1, 1, 1, 2], 9.0));
        }
        let draw = |p: &AdversarialPool| p.sample(20, &mut Rng::new(5)).to_vec();
        assert_eq!(draw(&copy), draw(&pool));
        assert_eq!(copy.images().to_vec(), [3.0, 3.0, 9.0, 9.0, 2.0, 2.0]);

        let mut empty = AdversarialPool::new(3, &[1, 1, 2]);
        empty.restore(&[], 0).unwrap();
        assert!(empty.is_empty());
        assert!(empty.restore(&[1.0; 3], 0).is_err(), "half an image");
        assert!(empty.restore(&[1.0; 8], 0).is_err(), "over capacity");
        assert!(
            empty.restore(&[1.0; 4], 0).is_err(),
            "next slot not after the images"
        );
    }

    #[test]
    fn adversarial_examples_stay_in_the_ball_and_the_unit_box() {
        let mut rng = Rng::new(1);
        let critic =
            Network::build(&presets::dcgan_critic(4, None), &[1, 28, 28], &mut rng).unwrap();
        let x: Tensor = rng.uniform(&[3, 1, 28, 28], 0.0, 1.0);
        let objective = Objective::WganGp { lambda: 10.0 };
        for steps in [1, 3] {
            let adv = perturb(&objective, &critic, &x, 0.1, steps);
            for (a, o) in adv.data().iter().zip(x.data()) {
                assert!((a - o).abs() <= 0.1 + 1e-6 && (0.0..=1.0).contains(a));
            }
        }
    }
}
