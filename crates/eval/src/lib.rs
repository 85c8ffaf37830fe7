//! gantry-eval: how good are the generated images, told honestly.
//!
//! Metrics work on plain row-major matrices ([`Features`], `[n, d]`) of classifier embeddings
//! and probabilities:
//!
//! - [`frechet_distance`]: Fréchet distance of feature Gaussians (FID, Heusel et al. 2017);
//! - [`classifier_score`]: exp(E KL(p(y|x) ‖ p(y))) (Inception Score, Salimans et al. 2016);
//! - [`precision_recall()`]: k-NN manifold precision and recall (Kynkäänniemi et al. 2019);
//! - [`mode_coverage`]: per-class shares, covered classes and KL to the real class histogram;
//! - [`evaluate`]: all of the above for the generator and for held-out real data (the floor),
//!   as an [`EvalReport`] that serialises to `eval.json`.
//!
//! The embeddings come from a [`Classifier`], a small LeNet-style network on gantry's engine
//! ([`train_classifier`] trains one; `classifiers/mnist.safetensors` is shipped).
//!
//! Presentation: [`LineChart`] and [`BarChart`] draw PNGs with plotters and an embedded font,
//! [`render_html`] assembles a self-contained `report.html`, and [`write_run_report`] builds
//! all of it from a run directory.
//!
//! ```
//! use gantry_eval::{frechet_distance, Features};
//!
//! let a = Features::new(vec![0.0, 1.0, 2.0, 3.0], 4, 1)?;
//! let b = Features::new(vec![2.0, 3.0, 4.0, 5.0], 4, 1)?;
//! assert!((frechet_distance(&a, &b)? - 4.0).abs() < 1e-9); // mean shift of 2
//! # Ok::<(), gantry_eval::EvalError>(())
//! ```

pub mod bars;
pub mod classifier;
pub mod classifier_train;
pub mod error;
pub mod features;
pub mod frechet;
pub mod html;
pub mod modes;
pub mod plots;
pub mod precision_recall;
pub mod report;
pub mod run_report;
pub mod score;

pub use bars::{class_histogram, BarChart};
pub use classifier::{shipped_classifier, softmax_rows, Classifier, ClassifierInfo};
pub use classifier_train::{cross_entropy, train_classifier, ClassifierTraining};
pub use error::{EvalError, Result};
pub use features::Features;
pub use frechet::{frechet_distance, frechet_from_stats, GaussianStats};
pub use html::{data_uri, escape_html, render_html, write_html, ReportPage};
pub use modes::{class_shares, mode_coverage, predicted_classes, ModeCoverage};
pub use plots::{LineChart, Series};
pub use precision_recall::{precision_recall, PrecisionRecall};
pub use report::{evaluate, metrics, EvalConfig, EvalReport, EvalSet, Metrics};
pub use run_report::{read_metrics_lines, training_charts, write_run_report, RunReport};
pub use score::classifier_score;
