//! Bad input to `gantry train`: each case fails with one error line naming the problem, a
//! non-zero exit, and nothing written over.

use std::path::Path;

use assert_cmd::Command;

fn gantry(dir: &Path, argv: &[&str]) -> std::process::Output {
    let mut cmd = Command::cargo_bin("gantry").expect("gantry binary");
    cmd.current_dir(dir).args(argv).output().expect("runs")
}

/// The error output: exactly one line, which is returned.
fn one_error_line(output: &std::process::Output) -> String {
    assert!(!output.status.success(), "expected a failure");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "want one error line, got:\n{stderr}");
    errors[0].to_string()
}

fn idx_images(count: u32, side: u32, pixels: usize) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 3];
    for v in [count, side, side] {
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    bytes.extend(std::iter::repeat_n(7u8, pixels));
    bytes
}

fn idx_labels(count: u32) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 1];
    bytes.extend_from_slice(&count.to_be_bytes());
    bytes.extend(std::iter::repeat_n(1u8, count as usize));
    bytes
}

fn write_idx(dir: &Path, images: &[u8], labels: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("train-images-idx3-ubyte"), images).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte"), labels).unwrap();
}

#[test]
fn a_truncated_data_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    write_idx(
        &tmp.path().join("data"),
        &idx_images(100, 28, 1000),
        &idx_labels(100),
    );
    let out = gantry(
        tmp.path(),
        &["train", "--dataset", "idx:data", "--out", "run"],
    );
    let line = one_error_line(&out);
    assert!(
        line.contains("train-images-idx3-ubyte") && line.contains("truncated"),
        "{line}"
    );
    assert!(
        !tmp.path().join("run").exists(),
        "a run directory was created"
    );
}

#[test]
fn a_missing_data_directory_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let out = gantry(
        tmp.path(),
        &["train", "--dataset", "idx:nowhere", "--out", "run"],
    );
    let line = one_error_line(&out);
    assert!(line.contains("nowhere"), "{line}");
}

#[test]
fn images_of_another_size_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    write_idx(
        &tmp.path().join("data"),
        &idx_images(60, 32, 60 * 32 * 32),
        &idx_labels(60),
    );
    let out = gantry(
        tmp.path(),
        &["train", "--dataset", "idx:data", "--out", "run"],
    );
    let line = one_error_line(&out);
    assert!(
        line.contains("1x32x32") && line.contains("expects 1x28x28"),
        "{line}"
    );
    assert!(!tmp.path().join("run/metrics.jsonl").exists());
}

#[test]
fn a_checkpoint_from_another_model_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let small = [
        "--dim",
        "4",
        "--batch-size",
        "8",
        "--latent",
        "8",
        "--log-every",
        "1",
    ];
    let mut argv = vec!["train", "--iters", "2", "--out", "run"];
    argv.extend(small);
    assert!(gantry(tmp.path(), &argv).status.success());
    let config_before = std::fs::read(tmp.path().join("run/config.toml")).unwrap();
    let metrics_before = std::fs::read(tmp.path().join("run/metrics.jsonl")).unwrap();

    let out = gantry(
        tmp.path(),
        &["train", "--resume", "run", "--dim", "8", "--iters", "4"],
    );
    let line = one_error_line(&out);
    assert!(line.contains("another model"), "{line}");
    assert_eq!(
        std::fs::read(tmp.path().join("run/config.toml")).unwrap(),
        config_before
    );
    assert_eq!(
        std::fs::read(tmp.path().join("run/metrics.jsonl")).unwrap(),
        metrics_before
    );
}
