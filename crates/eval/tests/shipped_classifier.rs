//! The classifier shipped in `classifiers/mnist.safetensors` against the shipped MNIST subset.

use gantry_data::{load_idx_split, shipped_mnist_dir, Split};
use gantry_eval::{shipped_classifier, Classifier};

#[test]
fn shipped_mnist_classifier_is_at_least_97_percent_accurate() {
    let test = load_idx_split(&shipped_mnist_dir(), Split::Test).unwrap();
    let classifier = Classifier::load(&shipped_classifier("mnist")).unwrap();
    let accuracy = classifier.accuracy(&test).unwrap();
    assert_eq!(test.len(), 2000);
    assert!(accuracy >= 0.97, "test accuracy {accuracy}");
    assert!(
        (accuracy - classifier.info.test_accuracy).abs() < 1e-9,
        "recorded {} but measured {accuracy}",
        classifier.info.test_accuracy
    );
    let size = std::fs::metadata(shipped_classifier("mnist"))
        .unwrap()
        .len();
    assert!(size < 2_000_000, "{size} bytes");
}
