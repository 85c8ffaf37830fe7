//! Tests of the checkpoint store: round trips, crash leftovers, corruption and pruning.

use super::*;
use crate::checkpoint::{shapes_of, TensorData};

fn tensors(seed: f32, width: usize) -> TensorMap {
    let mut map = TensorMap::new();
    let weight: Vec<f32> = (0..4 * width).map(|i| seed + i as f32 * 0.1).collect();
    map.insert("fc.weight".into(), TensorData::new(vec![4, width], weight));
    map.insert("fc.bias".into(), TensorData::new(vec![4], vec![seed; 4]));
    map
}

fn checkpoint(iteration: u64) -> Checkpoint {
    let mut state = TrainState {
        iteration,
        elapsed_s: 12.5,
        metrics_len: 4096,
        ..Default::default()
    };
    state.rngs.insert(
        "noise".into(),
        serde_json::json!({ "seed": 3, "word_pos": 17 }),
    );
    state.batcher = serde_json::json!({ "epoch": 2, "position": 150 });
    Checkpoint {
        generator: tensors(iteration as f32, 3),
        critic: tensors(-1.0 / 3.0, 2),
        optimizer_g: tensors(1e-8, 3),
        optimizer_c: tensors(f32::EPSILON, 2),
        pool: pool(2, 1),
        average: average(3),
        state,
        config: TrainConfig::default(),
    }
}

/// An adversarial pool of `len` 1×2×2 images whose next slot is `next`.
fn pool(len: usize, next: usize) -> TensorMap {
    let images: Vec<f32> = (0..4 * len).map(|i| i as f32 / 7.0).collect();
    let mut map = TensorMap::new();
    map.insert("images".into(), TensorData::new(vec![len, 1, 2, 2], images));
    map.insert("next".into(), TensorData::new(vec![1], vec![next as f32]));
    map
}

/// A generator average of width `width` after 7 updates.
fn average(width: usize) -> TensorMap {
    let mut map = tensors(0.5, width);
    map.insert("updates".into(), TensorData::new(vec![1], vec![7.0]));
    map
}

fn expected(width: usize) -> ExpectedShapes {
    ExpectedShapes {
        generator: Some(shapes_of(&tensors(0.0, width))),
        ..Default::default()
    }
}

#[test]
fn round_trip_is_bit_identical() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path());
    let saved = checkpoint(500);
    let dir = store.save(&saved).unwrap();
    assert!(dir.ends_with("checkpoints/iter-000500"));
    assert_eq!(store.latest().unwrap(), Some(dir));

    let loaded = store.load_latest(&expected(3)).unwrap().unwrap();
    assert_eq!(loaded, saved);
    let bits = |m: &TensorMap| {
        m["fc.weight"]
            .data
            .iter()
            .map(|x| x.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&loaded.critic), bits(&saved.critic));
}

#[test]
fn a_checkpoint_without_a_pool_file_loads_with_an_empty_pool() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path());
    let dir = store.save(&checkpoint(100)).unwrap();
    assert_eq!(
        store.load_latest(&expected(3)).unwrap().unwrap().pool,
        pool(2, 1)
    );

    // A checkpoint written before pools were saved has no such file.
    fs::remove_file(dir.join(files::POOL)).unwrap();
    let loaded = store.load_latest(&expected(3)).unwrap().unwrap();
    assert!(loaded.pool.is_empty());

    // An empty pool writes no file.
    let empty = Checkpoint {
        pool: TensorMap::new(),
        ..checkpoint(200)
    };
    let dir = store.save(&empty).unwrap();
    assert!(!dir.join(files::POOL).exists());
    assert_eq!(store.load_latest(&expected(3)).unwrap().unwrap(), empty);
}

#[test]
fn the_generator_average_is_optional_too() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path());
    let dir = store.save(&checkpoint(100)).unwrap();
    assert_eq!(
        store.load_latest(&expected(3)).unwrap().unwrap().average,
        average(3)
    );
    fs::remove_file(dir.join(files::AVERAGE)).unwrap();
    assert!(store
        .load_latest(&expected(3))
        .unwrap()
        .unwrap()
        .average
        .is_empty());

    let none = Checkpoint {
        average: TensorMap::new(),
        ..checkpoint(200)
    };
    let dir = store.save(&none).unwrap();
    assert!(!dir.join(files::AVERAGE).exists());
    assert_eq!(store.load_latest(&expected(3)).unwrap().unwrap(), none);
}

#[test]
fn leftover_tmp_directory_is_ignored_then_removed() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path());
    store.save(&checkpoint(100)).unwrap();

    // a kill while writing iteration 200: partial files in the .tmp directory
    let tmp = store.dir().join("iter-000200.tmp");
    fs::create_dir(&tmp).unwrap();
    fs::write(tmp.join(files::GENERATOR), b"\x10\x00").unwrap();
    let loaded = store
        .load_latest(&ExpectedShapes::default())
        .unwrap()
        .unwrap();
    assert_eq!(loaded.state.iteration, 100);

    fs::remove_file(store.dir().join(POINTER)).unwrap();
    assert_eq!(
        store.latest().unwrap(),
        Some(store.dir().join("iter-000100"))
    );

    store.save(&checkpoint(300)).unwrap();
    assert!(
        !tmp.exists(),
        "the next save removes stale .tmp directories"
    );
}

#[test]
fn truncated_tensor_file_gives_a_clear_error() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path());
    let dir = store.save(&checkpoint(100)).unwrap();
    let path = dir.join(files::CRITIC);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();

    let err = store
        .load_latest(&ExpectedShapes::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(&format!(
        "checkpoint {}: not a valid safetensors",
        path.display()
    )));
    assert!(err.ends_with("truncated or corrupt?"), "{err}");
}

#[test]
fn shape_mismatch_names_the_file() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path());
    let dir = store.save(&checkpoint(100)).unwrap();
    let err = store.load_latest(&expected(5)).unwrap_err().to_string();
    let file = dir.join(files::GENERATOR);
    let want = format!(
        "checkpoint {}: tensor fc.weight has shape [4, 3], expected [4, 5]: \
         checkpoint from another model?",
        file.display()
    );
    assert_eq!(err, want);
}

#[test]
fn bad_pointer_falls_back_to_newest_complete() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path()).with_keep(5);
    store.save(&checkpoint(100)).unwrap();
    store.save(&checkpoint(200)).unwrap();
    // a directory missing a file is not complete
    let partial = store.dir().join("iter-000900");
    fs::create_dir(&partial).unwrap();
    fs::write(partial.join(files::STATE), b"{}").unwrap();

    for pointer in ["iter-000900\n", "iter-000700\n", "../../etc\n", ""] {
        fs::write(store.dir().join(POINTER), pointer).unwrap();
        assert_eq!(
            store.latest().unwrap(),
            Some(store.dir().join("iter-000200")),
            "{pointer:?}"
        );
    }
    fs::write(store.dir().join(POINTER), "iter-000100").unwrap();
    assert_eq!(
        store.latest().unwrap(),
        Some(store.dir().join("iter-000100"))
    );
}

#[test]
fn keeps_only_the_newest_k() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path());
    for iteration in [100, 200, 300] {
        store.save(&checkpoint(iteration)).unwrap();
    }
    let kept: Vec<u64> = store
        .complete()
        .unwrap()
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(kept, [200, 300]);
}

#[test]
fn saving_the_same_iteration_again_replaces_it() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path());
    store.save(&checkpoint(100)).unwrap();
    let mut again = checkpoint(100);
    again.state.elapsed_s = 99.0;
    store.save(&again).unwrap();
    let loaded = store
        .load_latest(&ExpectedShapes::default())
        .unwrap()
        .unwrap();
    assert_eq!(loaded.state.elapsed_s, 99.0);
}

#[test]
fn find_checkpoint_accepts_run_or_checkpoint_directories() {
    let run = tempfile::tempdir().unwrap();
    let err = find_checkpoint(run.path()).unwrap_err().to_string();
    assert!(err.starts_with("no complete checkpoint under"), "{err}");
    let dir = CheckpointStore::new(run.path())
        .save(&checkpoint(100))
        .unwrap();
    assert_eq!(find_checkpoint(run.path()).unwrap(), dir);
    assert_eq!(find_checkpoint(&dir).unwrap(), dir);
    assert!(find_checkpoint(&run.path().join("nope")).is_err());
}

#[test]
fn empty_run_has_no_checkpoint() {
    let run = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(run.path());
    assert!(store
        .load_latest(&ExpectedShapes::default())
        .unwrap()
        .is_none());
}
