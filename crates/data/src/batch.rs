//! Seeded, resumable mini-batching. Each epoch visits the dataset in a permutation derived
//! only from `(seed, epoch)`, so a [`Batcher`] restored from its small serialisable
//! [`BatcherState`] continues with exactly the batches the original run would have drawn.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};

/// Everything needed to resume batching: store it in a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatcherState {
    /// Seed of the shuffling; the permutation of an epoch depends on `(seed, epoch)` only.
    pub seed: u64,
    /// Current epoch, counted from 0.
    pub epoch: u64,
    /// Position in the current epoch's permutation of the next image to draw.
    pub cursor: usize,
    /// Images per batch.
    pub batch_size: usize,
}

/// One mini-batch of images drawn by a [`Batcher`].
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Pixels, `[batch_size, channels, height, width]`, values in `[0, 1]`.
    pub images: Vec<f32>,
    /// Labels of the images, when the dataset has labels.
    pub labels: Option<Vec<u8>>,
    /// Dataset indices of the images, in batch order.
    pub indices: Vec<usize>,
    /// Epoch the batch belongs to.
    pub epoch: u64,
}

/// Draws shuffled mini-batches of a fixed size, epoch after epoch. The incomplete tail of
/// each epoch is dropped, so every batch has exactly `batch_size` images.
#[derive(Debug, Clone)]
pub struct Batcher {
    state: BatcherState,
    /// Cached permutation for `(state.epoch, dataset length)`.
    order: Option<(u64, Vec<usize>)>,
}

impl Batcher {
    /// A batcher at the start of epoch 0. Fails when `batch_size` is zero.
    pub fn new(batch_size: usize, seed: u64) -> Result<Self> {
        Self::from_state(BatcherState {
            seed,
            epoch: 0,
            cursor: 0,
            batch_size,
        })
    }

    /// Resumes from a state saved with [`Batcher::state`].
    pub fn from_state(state: BatcherState) -> Result<Self> {
        if state.batch_size == 0 {
            return Err(DataError::InvalidArgument(
                "batch size must be at least 1".into(),
            ));
        }
        Ok(Batcher { state, order: None })
    }

    /// The current state; restoring it reproduces all following batches.
    pub fn state(&self) -> BatcherState {
        self.state
    }

    /// Images per batch.
    pub fn batch_size(&self) -> usize {
        self.state.batch_size
    }

    /// Number of full batches in one epoch over `len` images.
    pub fn batches_per_epoch(&self, len: usize) -> usize {
        len / self.state.batch_size
    }

    /// Draws the next batch from `dataset`, moving to the next epoch when the current one has
    /// fewer than `batch_size` images left. Fails when the dataset is smaller than one batch.
    pub fn next_batch(&mut self, dataset: &Dataset) -> Result<Batch> {
        let size = self.state.batch_size;
        if dataset.len() < size {
            return Err(DataError::InvalidArgument(format!(
                "batch size {size} exceeds the {} images of {}",
                dataset.len(),
                dataset.source()
            )));
        }
        if self.state.cursor + size > dataset.len() {
            self.state.epoch += 1;
            self.state.cursor = 0;
        }

        let start = self.state.cursor;
        let indices = self.epoch_order(dataset.len())[start..start + size].to_vec();
        self.state.cursor += size;
        Ok(gather(dataset, indices, self.state.epoch))
    }

    /// The permutation of `0..len` for the current epoch, computed once per epoch.
    fn epoch_order(&mut self, len: usize) -> &[usize] {
        let epoch = self.state.epoch;
        let stale = !matches!(&self.order, Some((e, o)) if *e == epoch && o.len() == len);
        if stale {
            self.order = Some((epoch, permutation(self.state.seed, epoch, len)));
        }
        self.order
            .as_ref()
            .map_or(&[], |(_, order)| order.as_slice())
    }
}

/// The shuffled order of `0..len` for `(seed, epoch)`: ChaCha8 seeded with `seed`, using
/// `epoch` as its stream number, drives a Fisher-Yates shuffle.
pub fn permutation(seed: u64, epoch: u64, len: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch);
    let mut order: Vec<usize> = (0..len).collect();
    order.shuffle(&mut rng);
    order
}

/// Copies the images (and labels) at `indices` into a batch.
fn gather(dataset: &Dataset, indices: Vec<usize>, epoch: u64) -> Batch {
    let n = dataset.image_len();
    let mut images = Vec::with_capacity(indices.len() * n);
    for &i in &indices {
        images.extend_from_slice(&dataset.images()[i * n..(i + 1) * n]);
    }
    let labels = dataset
        .labels()
        .map(|l| indices.iter().map(|&i| l[i]).collect());
    Batch {
        images,
        labels,
        indices,
        epoch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10 images of 1x1x2 whose pixels encode their index; labels = index.
    fn toy(len: usize) -> Dataset {
        let images = (0..len).flat_map(|i| [i as f32, i as f32 + 0.5]).collect();
        let labels = Some((0..len as u8).collect());
        Dataset::new(images, labels, [1, 1, 2], "toy").unwrap()
    }

    fn epoch_indices(batcher: &mut Batcher, data: &Dataset) -> Vec<usize> {
        let per_epoch = batcher.batches_per_epoch(data.len());
        (0..per_epoch)
            .flat_map(|_| batcher.next_batch(data).unwrap().indices)
            .collect()
    }

    #[test]
    fn every_image_once_per_epoch_and_tail_dropped() {
        let data = toy(10);
        let mut batcher = Batcher::new(3, 7).unwrap();
        let mut seen = epoch_indices(&mut batcher, &data);
        assert_eq!(seen.len(), 9);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 9);
        assert_eq!(batcher.next_batch(&data).unwrap().epoch, 1);

        let mut full = Batcher::new(5, 7).unwrap();
        let mut all = epoch_indices(&mut full, &data);
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn batch_content_matches_indices() {
        let data = toy(10);
        let batch = Batcher::new(4, 1).unwrap().next_batch(&data).unwrap();
        for (k, &i) in batch.indices.iter().enumerate() {
            assert_eq!(batch.images[2 * k], i as f32);
            assert_eq!(batch.images[2 * k + 1], i as f32 + 0.5);
            assert_eq!(batch.labels.as_ref().unwrap()[k], i as u8);
        }
    }

    #[test]
    fn same_seed_same_order_other_epoch_or_seed_differs() {
        let data = toy(50);
        let a = epoch_indices(&mut Batcher::new(10, 3).unwrap(), &data);
        let b = epoch_indices(&mut Batcher::new(10, 3).unwrap(), &data);
        let c = epoch_indices(&mut Batcher::new(10, 4).unwrap(), &data);
        assert_eq!(a, b);
        assert_ne!(a, c);

        let mut batcher = Batcher::new(10, 3).unwrap();
        let first = epoch_indices(&mut batcher, &data);
        let second = epoch_indices(&mut batcher, &data);
        assert_ne!(first, second);
    }

    #[test]
    fn restored_state_continues_identically() {
        let data = toy(23);
        let mut original = Batcher::new(4, 11).unwrap();
        for _ in 0..7 {
            original.next_batch(&data).unwrap();
        }
        let saved = serde_json::to_string(&original.state()).unwrap();
        let mut resumed = Batcher::from_state(serde_json::from_str(&saved).unwrap()).unwrap();
        for _ in 0..12 {
            assert_eq!(
                original.next_batch(&data).unwrap(),
                resumed.next_batch(&data).unwrap()
            );
        }
    }

    #[test]
    fn rejects_zero_and_oversized_batches() {
        assert!(Batcher::new(0, 1).is_err());
        let msg = Batcher::new(11, 1)
            .unwrap()
            .next_batch(&toy(10))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("batch size 11 exceeds the 10 images of toy"),
            "{msg}"
        );
    }
}
