//! End to end: metrics from feature sets, then `eval.json` and `report.html` on disk.

use gantry_eval::{
    evaluate, write_html, EvalConfig, EvalReport, EvalSet, Features, LineChart, ReportPage,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// Gaussian points around class centre `c · 10 + offset` in every coordinate, with one-hot
/// probabilities.
fn cluster_set(classes: &[usize], k: usize, d: usize, offset: f64) -> EvalSet {
    let mut rng = StdRng::seed_from_u64(offset.to_bits());
    let n = classes.len();
    let mut features = Vec::with_capacity(n * d);
    let mut probs = vec![0.0; n * k];
    for (i, &c) in classes.iter().enumerate() {
        features.extend(
            (0..d).map(|_| 10.0 * c as f64 + offset + rng.sample::<f64, _>(StandardNormal)),
        );
        probs[i * k + c] = 1.0;
    }
    EvalSet {
        features: Features::new(features, n, d).unwrap(),
        probs: Features::new(probs, n, k).unwrap(),
    }
}

#[test]
fn eval_json_and_html_are_written_and_read_back() {
    let dir = std::env::temp_dir().join(format!("gantry-eval-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let balanced: Vec<usize> = (0..120).map(|i| i % 3).collect();
    let reference = cluster_set(&balanced, 3, 6, 0.0);
    let real_train = cluster_set(&balanced, 3, 6, 0.1);
    let generated = cluster_set(&[0; 60], 3, 6, 0.5);
    let report = evaluate(&reference, &generated, &real_train, &EvalConfig::default()).unwrap();

    let json_path = dir.join("eval.json");
    report.save(&json_path).unwrap();
    let back: EvalReport =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    // serde_json may round the last bit of an f64
    assert!((back.generated.fid - report.generated.fid).abs() <= 1e-12 * report.generated.fid);
    assert_eq!(
        (
            back.n,
            back.generated.modes.covered,
            back.real.modes.covered
        ),
        (60, 1, 3)
    );
    assert!(
        report.real.precision > 0.5 && report.generated.recall < 0.4,
        "{report:?}"
    );

    let charts = [LineChart::new("FID", "iteration", "FID").with_series("g", vec![(0.0, 3.0)])];
    let page = ReportPage {
        title: "test run",
        config_text: "[train]\nlr = 1e-4",
        eval: Some(&report),
        charts: &charts,
        ..ReportPage::default()
    };
    let html_path = dir.join("report.html");
    write_html(&page, &html_path).unwrap();
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("Final metrics") && html.contains("lr = 1e-4"));
    // class histogram and one curve
    assert_eq!(html.matches("data:image/png;base64,").count(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mismatched_sets_are_refused() {
    let balanced: Vec<usize> = (0..30).map(|i| i % 3).collect();
    let reference = cluster_set(&balanced, 3, 6, 0.0);
    let narrow = cluster_set(&balanced, 3, 4, 0.0);
    let config = EvalConfig::default();
    assert!(evaluate(&reference, &narrow, &reference, &config).is_err());
}
