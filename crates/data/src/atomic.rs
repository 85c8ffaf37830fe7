//! Atomic file writes: content goes to a temporary file in the destination's directory, which
//! is renamed over the destination only once it is complete, so readers never see half a file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};

/// Writes `path` atomically: `fill` writes the whole content into a buffered temporary file
/// created next to `path`; on success the file is flushed, synced and renamed to `path`.
/// Missing parent directories are created. On failure the temporary file is removed.
pub(crate) fn write_atomically<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir).map_err(|e| DataError::io(&dir, e))?;
    let temp = tempfile::Builder::new()
        .prefix(".gantry-tmp-")
        .tempfile_in(&dir)
        .map_err(|e| DataError::io(&dir, e))?;
    let (file, temp_path) = temp.into_parts();

    let mut writer = BufWriter::new(file);
    fill(&mut writer)?;
    writer.flush().map_err(|e| DataError::io(path, e))?;
    let file = writer
        .into_inner()
        .map_err(|e| DataError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| DataError::io(path, e))?;

    temp_path
        .persist(path)
        .map_err(|e| DataError::io(path, e.error))?;
    Ok(())
}

/// The directory holding `path`; `.` for a bare file name.
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.bin");
        write_atomically(&path, |w| {
            w.write_all(b"abc").map_err(|e| DataError::io("x", e))
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        let entries = std::fs::read_dir(dir.path().join("sub")).unwrap().count();
        assert_eq!(entries, 1);
    }

    #[test]
    fn failed_fill_keeps_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::write(&path, b"old").unwrap();
        let result = write_atomically(&path, |_| Err(DataError::InvalidArgument("no".into())));
        assert!(result.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
