//! End-to-end behaviour of the `gantry` binary: exit codes, one-line errors, run directories.

use std::path::Path;

use assert_cmd::Command;

fn gantry(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("gantry").expect("gantry binary");
    cmd.current_dir(dir);
    cmd
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn unknown_option_fails_with_clap_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = gantry(dir.path())
        .args(["train", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--bogus"));
}

#[test]
fn missing_config_prints_one_error_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = gantry(dir.path())
        .args(["train", "--config", "missing.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: config missing.toml: cannot read"),
        "{stderr}"
    );
    let os_error = stderr.matches("os error").count();
    assert_eq!(os_error, 1, "the cause is printed once: {stderr}");
    assert!(
        !dir.path().join("runs").exists(),
        "no run directory on error"
    );
}

#[test]
fn bad_key_in_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "lr = \"fast\"\n").unwrap();
    let output = gantry(dir.path())
        .args(["train", "--config", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: config bad.toml: line 1, key `lr`: invalid type"));
}

#[test]
fn train_writes_the_effective_config_and_resume_updates_it() {
    let dir = tempfile::tempdir().unwrap();
    let argv = [
        "train",
        "--loss",
        "wgan-clip",
        "--iters",
        "3",
        "--dim",
        "4",
        "--batch-size",
        "8",
        "--latent",
        "8",
        "--boost-steps",
        "0",
        "--out",
        "run",
    ];
    gantry(dir.path()).args(argv).assert().success();
    let written = std::fs::read_to_string(dir.path().join("run/config.toml")).unwrap();
    assert!(written.contains("iters = 3\n") && written.contains("optimizer = \"rmsprop\"\n"));

    let again = gantry(dir.path()).args(argv).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr_of(&again).contains("already holds a run"));

    let resume = ["train", "--resume", "run", "--iters", "9"];
    let output = gantry(dir.path()).args(resume).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("iterations 3..9"));
    let written = std::fs::read_to_string(dir.path().join("run/config.toml")).unwrap();
    assert!(written.contains("iters = 9\n") && written.contains("optimizer = \"rmsprop\"\n"));
}

#[test]
fn sample_and_eval_without_checkpoint_fail_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("run/checkpoints/iter-000010.tmp")).unwrap();
    for argv in [vec!["sample", "run"], vec!["eval", "run"]] {
        let output = gantry(dir.path()).args(&argv).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{argv:?}");
        let stderr = stderr_of(&output);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("no complete checkpoint under run"),
            "{stderr}"
        );
    }
}

#[test]
fn bench_runs_and_refuses_zero_iterations() {
    let dir = tempfile::tempdir().unwrap();
    let output = gantry(dir.path())
        .args(["bench", "--model", "mlp", "--iters", "1", "--warmup", "0"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or("");
    assert!(last.starts_with("BENCH sec_per_gen_iter="), "{last}");
    gantry(dir.path())
        .args(["bench", "--iters", "0"])
        .assert()
        .code(1);
}
