//! End-to-end checks against the public MNIST mirrors. They need the internet, so they are
//! ignored by default: run them with `cargo test -p gantry-data -- --ignored`.

use gantry_data::{resolve, DatasetSpec, Origin, ResolveOptions};

#[test]
#[ignore = "downloads about 11 MB from the public MNIST mirrors"]
fn downloads_and_verifies_full_mnist() {
    let dir = tempfile::tempdir().unwrap();
    let options = ResolveOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..ResolveOptions::default()
    };
    let resolved = resolve(&DatasetSpec::Mnist, &options).unwrap();
    let reason = resolved.fallback_reason;
    assert_eq!(
        resolved.origin,
        Origin::Downloaded(dir.path().to_path_buf()),
        "{reason:?}"
    );
    assert_eq!(resolved.dataset.shape(), [60_000, 1, 28, 28]);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
}
