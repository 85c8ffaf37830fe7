//! End to end: a tiny training run with evaluation during training, then `gantry eval` writing
//! `eval.json`, the charts, the animation and `report.html`.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn gantry(dir: &Path, argv: &[&str]) -> std::process::Output {
    let output = Command::cargo_bin("gantry")
        .expect("gantry binary")
        .current_dir(dir)
        .args(argv)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{argv:?} failed: {stderr}");
    output
}

#[test]
fn tiny_run_is_evaluated_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let train = [
        "train",
        "--iters",
        "20",
        "--dim",
        "8",
        "--batch-size",
        "16",
        "--sample-every",
        "5",
        "--eval-every",
        "10",
        "--eval-samples",
        "100",
        "--out",
        "run",
    ];
    gantry(dir.path(), &train);
    let run = dir.path().join("run");
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let evals: Vec<Value> = metrics
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r.get("fid").is_some())
        .collect();
    assert_eq!(
        evals.len(),
        2,
        "eval records at iterations 10 and 20: {metrics}"
    );
    for key in ["score", "precision", "recall", "modes_covered"] {
        assert!(evals[1][key].is_f64(), "missing {key}: {}", evals[1]);
    }
    assert!(
        run.join("report.html").exists(),
        "gantry train writes a report"
    );

    let output = gantry(dir.path(), &["eval", "run", "--n", "300", "--seed", "1"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("real floor"), "{stdout}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("eval.json")).unwrap()).unwrap();
    for key in ["fid", "score", "precision", "recall", "modes"] {
        assert!(json.get(key).is_some(), "missing {key}");
        assert!(json["real"].get(key).is_some(), "missing real.{key}");
    }
    assert_eq!(
        (json["n"].as_u64(), json["n_real"].as_u64()),
        (Some(300), Some(300))
    );
    assert!(json["n_reference"].as_u64().unwrap() >= 2000);
    // real training digits against real test digits: the floor a generator cannot beat
    assert!(json["real"]["fid"].as_f64().unwrap() < json["fid"].as_f64().unwrap());
    assert_eq!(json["real"]["modes"]["covered"], 10);

    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("real floor") && html.contains("data:image/gif;base64,"));
    assert!(run.join("samples/progress.gif").exists());
    assert!(run.join("plots/losses.png").exists());
    assert!(run.join("plots/fid_during_training.png").exists());
    assert!(run.join("plots/class_histogram.png").exists());
}
