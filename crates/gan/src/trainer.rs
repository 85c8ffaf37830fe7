//! The training loop: critic steps (with boosts) and a generator step per iteration, fixed
//! latent vectors drawn into a sample grid every `sample_every` iterations, a metrics record
//! and a log line every `log_every`, and an atomic checkpoint every `checkpoint_every` and at
//! the end. A run resumes from its last checkpoint exactly where it stopped.

use std::path::{Path, PathBuf};
use std::time::Instant;

use gantry_data::{Batcher, Dataset};
use gantry_engine::{Rng, Tensor};

use crate::augment::{perturb, AdversarialPool};
use crate::checkpoint::{CheckpointStore, TrainState};
use crate::config::{Divergence, TrainConfig};
use crate::metrics::{MetricsRecord, MetricsWriter};
use crate::model::{build_model, CriticStats, Gan};
use crate::run_state::{self, TrainError};
use crate::samples::write_grid;
use crate::schedule::CriticSchedule;

/// Random streams of a run, each seeded from the run's seed.
pub(crate) const STREAM_INIT: u64 = 0;
pub(crate) const STREAM_NOISE: u64 = 1;
pub(crate) const STREAM_FIXED: u64 = 2;

/// Rollbacks in a row before a divergence stops the run: the same batch and noise come back
/// after a rollback, so a fault in the data would otherwise repeat forever.
const MAX_ROLLBACKS: usize = 3;

/// What the trainer reports as it goes.
pub enum Event<'a> {
    /// A line for the user (start-up facts, interval summaries, where files went).
    Log(&'a str),
    /// Generator iterations done out of the total.
    Progress(u64, u64),
}

/// Measures sample quality during training: given the model, returns named metrics (e.g.
/// `fid`, `score`) to record in the metrics file.
pub type Evaluator = Box<dyn FnMut(&Gan) -> Result<Vec<(String, f64)>, String>>;

/// A training run in progress.
pub struct Trainer {
    /// The run's effective configuration.
    pub config: TrainConfig,
    /// The run directory.
    pub run_dir: PathBuf,
    /// The model.
    pub gan: Gan,
    pub(crate) dataset: Dataset,
    pub(crate) batcher: Batcher,
    pub(crate) noise: Rng,
    pub(crate) fixed_z: Tensor,
    pub(crate) iteration: u64,
    pub(crate) elapsed_s: f64,
    pub(crate) metrics: MetricsWriter,
    pub(crate) store: CheckpointStore,
    pub(crate) pool: Option<AdversarialPool>,
    schedule: CriticSchedule,
    interval: Interval,
    evaluator: Option<Evaluator>,
}

/// Sums over one logging interval.
#[derive(Default)]
struct Interval {
    iterations: u64,
    critic_steps: usize,
    boosts: usize,
    critic: Vec<CriticStats>,
    generator_loss: f64,
    started: Option<Instant>,
    pool_score: Option<(f32, f32)>,
}

impl Trainer {
    /// A fresh run in `run_dir` on `dataset` (which must match the configured image shape).
    pub fn new(config: TrainConfig, run_dir: &Path, dataset: Dataset) -> Result<Self, TrainError> {
        run_state::check_dataset(&config, &dataset)?;
        std::fs::create_dir_all(run_dir.join("samples")).map_err(TrainError::io(run_dir))?;
        let gan = build_model(&config, &mut Rng::stream(config.seed, STREAM_INIT))?;
        let metrics = MetricsWriter::create(run_dir.join("metrics.jsonl"))?;
        let batcher = Batcher::new(config.batch_size, config.seed)?;
        Ok(Self::assemble(
            config, run_dir, dataset, gan, batcher, metrics,
        ))
    }

    pub(crate) fn assemble(
        config: TrainConfig,
        run_dir: &Path,
        dataset: Dataset,
        gan: Gan,
        batcher: Batcher,
        metrics: MetricsWriter,
    ) -> Self {
        let grid = config.grid * config.grid;
        let fixed_z = gan.sample_latent(grid, &mut Rng::stream(config.seed, STREAM_FIXED));
        let pool = (config.adv_start > 0).then(|| {
            AdversarialPool::new(
                config.adv_pool,
                &[config.channels, config.image_size, config.image_size],
            )
        });
        Trainer {
            schedule: CriticSchedule::from_config(&config),
            noise: Rng::stream(config.seed, STREAM_NOISE),
            store: CheckpointStore::new(run_dir),
            run_dir: run_dir.to_path_buf(),
            iteration: 0,
            elapsed_s: 0.0,
            interval: Interval::default(),
            evaluator: None,
            config,
            gan,
            dataset,
            batcher,
            fixed_z,
            metrics,
            pool,
        }
    }

    /// Runs `evaluator` every `eval_every` generator iterations.
    pub fn set_evaluator(&mut self, evaluator: Evaluator) {
        self.evaluator = Some(evaluator);
    }

    /// Generator iterations completed.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// Trains until `config.iters` generator iterations are done.
    pub fn run(&mut self, observer: &mut dyn FnMut(Event)) -> Result<(), TrainError> {
        let total = self.config.iters as u64;
        self.log_start(observer);
        let mut rollbacks = 0;
        while self.iteration < total {
            let started = Instant::now();
            match self.iterate() {
                Ok(()) => rollbacks = 0,
                Err(TrainError::Diverged { iteration, what }) if rollbacks < MAX_ROLLBACKS => {
                    rollbacks += 1;
                    self.recover(iteration, what, observer)?;
                    continue;
                }
                Err(e) => return Err(e),
            }
            self.elapsed_s += started.elapsed().as_secs_f64();
            self.iteration += 1;
            self.after_iteration(observer)?;
            observer(Event::Progress(self.iteration, total));
        }
        // The last interval may be shorter than `log_every`.
        self.log_interval(observer)?;
        self.save_checkpoint(observer)?;
        let grid = self.write_samples()?;
        observer(Event::Log(&format!(
            "done: {} generator iterations in {:.0} s; last grid {}; metrics {}",
            self.iteration,
            self.elapsed_s,
            grid.display(),
            self.metrics.path().display()
        )));
        Ok(())
    }

    fn log_start(&self, observer: &mut dyn FnMut(Event)) {
        let c = &self.config;
        let lines = [
            format!(
                "training {} {} (dim {}) on {}: {} images of {}x{}x{}, batch {}, n_critic {}, {} threads",
                c.loss,
                c.model,
                c.dim,
                c.dataset,
                self.dataset.len(),
                c.channels,
                c.image_size,
                c.image_size,
                c.batch_size,
                c.n_critic,
                gantry_engine::threads()
            ),
            format!(
                "generator {} parameters, critic {}; iterations {}..{}; run directory {}",
                self.gan.generator.num_params(),
                self.gan.critic.num_params(),
                self.iteration,
                c.iters,
                self.run_dir.display()
            ),
        ];
        for l in &lines {
            observer(Event::Log(l));
        }
    }

    /// One generator iteration: its critic steps, then the generator step.
    fn iterate(&mut self) -> Result<(), TrainError> {
        let it = self.iteration;
        let steps = self.schedule.critic_steps(it);
        self.refresh_pool()?;
        for _ in 0..steps {
            let real = self.next_real()?;
            let stats = self
                .gan
                .critic_step(&real, &mut self.noise)
                .map_err(|d| TrainError::diverged(it, d))?;
            self.interval.critic.push(stats);
        }
        let g_loss = self
            .gan
            .generator_step(self.config.batch_size, &mut self.noise)
            .map_err(|d| TrainError::diverged(it, d))?;
        let iv = &mut self.interval;
        iv.started.get_or_insert_with(Instant::now);
        iv.iterations += 1;
        iv.critic_steps += steps;
        iv.boosts += self.schedule.is_boost(it) as usize;
        iv.generator_loss += g_loss as f64;
        Ok(())
    }

    /// A real batch `[n, c, h, w]`, a share of it from the adversarial pool once active.
    fn next_real(&mut self) -> Result<Tensor, TrainError> {
        let batch = self.batcher.next_batch(&self.dataset)?;
        let [_, c, h, w] = self.dataset.shape();
        let real = Tensor::from_vec(batch.images, &[self.config.batch_size, c, h, w]);
        Ok(match &self.pool {
            Some(pool) if self.adversarial_active() => {
                pool.mix(&real, self.config.adv_ratio, &mut self.noise)
            }
            _ => real,
        })
    }

    fn adversarial_active(&self) -> bool {
        self.config.adv_start > 0 && self.iteration >= self.config.adv_start as u64
    }

    /// Adds one batch of adversarially perturbed real images to the pool.
    fn refresh_pool(&mut self) -> Result<(), TrainError> {
        if !self.adversarial_active() {
            return Ok(());
        }
        let batch = self.batcher.next_batch(&self.dataset)?;
        let [_, c, h, w] = self.dataset.shape();
        let clean = Tensor::from_vec(batch.images, &[self.config.batch_size, c, h, w]);
        let (objective, critic) = (&self.gan.objective, &self.gan.critic);
        let adv = perturb(
            objective,
            critic,
            &clean,
            self.config.adv_eps,
            self.config.adv_steps,
        );
        let mean = |t: &Tensor| {
            let s = gantry_engine::no_grad(|| objective.realness(critic, t));
            s.data().iter().sum::<f32>() / s.numel() as f32
        };
        self.interval.pool_score = Some((mean(&adv), mean(&clean)));
        if let Some(pool) = &mut self.pool {
            pool.add(&adv);
        }
        Ok(())
    }

    fn after_iteration(&mut self, observer: &mut dyn FnMut(Event)) -> Result<(), TrainError> {
        let it = self.iteration;
        // Whether `it` is a positive multiple of `every` (0 disables).
        let due = |every: usize| every > 0 && it.is_multiple_of(every as u64);
        let c = &self.config;
        let (log, sample, eval) = (
            due(c.log_every.max(1)),
            due(c.sample_every),
            due(c.eval_every),
        );
        let checkpoint = due(c.checkpoint_every) && it < c.iters as u64;
        if log {
            self.log_interval(observer)?;
        }
        if sample {
            self.write_samples()?;
        }
        if eval {
            self.evaluate(observer)?;
        }
        if checkpoint {
            self.save_checkpoint(observer)?;
        }
        Ok(())
    }

    fn log_interval(&mut self, observer: &mut dyn FnMut(Event)) -> Result<(), TrainError> {
        let iv = std::mem::take(&mut self.interval);
        if iv.iterations == 0 {
            return Ok(());
        }
        let secs = iv
            .started
            .map(|s| s.elapsed().as_secs_f64())
            .unwrap_or(0.0)
            .max(1e-9);
        let n = iv.critic.len().max(1) as f64;
        let mean =
            |f: fn(&CriticStats) -> f32| iv.critic.iter().map(|s| f(s) as f64).sum::<f64>() / n;
        let mut record = MetricsRecord {
            iteration: self.iteration,
            elapsed_s: self.elapsed_s,
            critic_loss: mean(|s| s.loss),
            wasserstein: Some(mean(|s| s.wasserstein)),
            penalty: Some(mean(|s| s.penalty)),
            generator_loss: iv.generator_loss / iv.iterations as f64,
            grad_norm: Some(mean(|s| s.grad_norm)).filter(|v| v.is_finite()),
            iters_per_sec: iv.iterations as f64 / secs,
            images_per_sec: (iv.critic_steps * self.config.batch_size) as f64 / secs,
            extra: Default::default(),
        };
        record
            .extra
            .insert("critic_steps".into(), iv.critic_steps.into());
        record.extra.insert("boosts".into(), iv.boosts.into());
        let mut line = format!(
            "iter {:>6} | W {:+.4} | critic {:+.4} | penalty {:.4} | gen {:+.4} | {:.2} it/s {:.0} img/s",
            self.iteration, record.wasserstein.unwrap_or(f64::NAN), record.critic_loss,
            record.penalty.unwrap_or(0.0), record.generator_loss, record.iters_per_sec, record.images_per_sec
        );
        if iv.boosts > 0 {
            line.push_str(&format!(" | boost x{}", iv.boosts));
        }
        if let (Some(pool), Some((adv, clean))) = (&self.pool, iv.pool_score) {
            record.extra.insert("adv_pool".into(), pool.len().into());
            record.extra.insert("adv_score".into(), (adv as f64).into());
            record
                .extra
                .insert("clean_score".into(), (clean as f64).into());
            line.push_str(&format!(
                " | pool {} score {adv:+.3} vs real {clean:+.3}",
                pool.len()
            ));
        }
        self.metrics.write(&record)?;
        observer(Event::Log(&line));
        Ok(())
    }

    /// Runs the evaluator, records its metrics beside the training ones and logs them.
    fn evaluate(&mut self, observer: &mut dyn FnMut(Event)) -> Result<(), TrainError> {
        let Some(evaluator) = self.evaluator.as_mut() else {
            return Ok(());
        };
        let started = Instant::now();
        let metrics =
            evaluator(&self.gan).map_err(|e| TrainError::Mismatch(format!("evaluation: {e}")))?;
        let mut record = serde_json::Map::new();
        record.insert("iteration".into(), self.iteration.into());
        record.insert("elapsed_s".into(), self.elapsed_s.into());
        let mut line = format!("eval at iter {}:", self.iteration);
        for (name, value) in &metrics {
            record.insert(name.clone(), (*value).into());
            line.push_str(&format!(" {name} {value:.3}"));
        }
        self.metrics
            .write_value(&serde_json::Value::Object(record))?;
        observer(Event::Log(&format!(
            "{line} ({:.1} s)",
            started.elapsed().as_secs_f64()
        )));
        Ok(())
    }

    /// Draws the fixed latent vectors into `samples/iter-NNNNNN.png` and `samples/latest.png`.
    pub fn write_samples(&self) -> Result<PathBuf, TrainError> {
        let images = self.gan.sample(&self.fixed_z);
        let dir = self.run_dir.join("samples");
        let path = dir.join(format!("iter-{:06}.png", self.iteration));
        write_grid(&images, self.config.grid, &path)?;
        write_grid(&images, self.config.grid, &dir.join("latest.png"))?;
        Ok(path)
    }

    fn save_checkpoint(&mut self, observer: &mut dyn FnMut(Event)) -> Result<(), TrainError> {
        let checkpoint = run_state::capture(self)?;
        let dir = self.store.save(&checkpoint)?;
        observer(Event::Log(&format!("checkpoint {}", dir.display())));
        Ok(())
    }

    /// Handles a non-finite step: stop, or roll back to the last checkpoint with a lower
    /// learning rate.
    fn recover(
        &mut self,
        iteration: u64,
        what: String,
        observer: &mut dyn FnMut(Event),
    ) -> Result<(), TrainError> {
        if self.config.divergence == Divergence::Stop {
            return Err(TrainError::Diverged { iteration, what });
        }
        let Some(checkpoint) = self.store.load_latest(&Default::default())? else {
            return Err(TrainError::Diverged {
                iteration,
                what: format!("{what}; no checkpoint to roll back to"),
            });
        };
        run_state::restore(self, checkpoint)?;
        let factor = self.config.rollback_lr_factor;
        for opt in [&mut self.gan.opt_g, &mut self.gan.opt_c] {
            opt.set_lr(opt.lr() * factor);
        }
        self.config.lr *= factor;
        observer(Event::Log(&format!(
            "iteration {iteration}: {what}; rolled back to iteration {}, learning rate now {:.3e}",
            self.iteration, self.config.lr
        )));
        Ok(())
    }

    /// The state a checkpoint records beside the tensors.
    pub(crate) fn train_state(&self) -> TrainState {
        run_state::train_state(self)
    }
}
