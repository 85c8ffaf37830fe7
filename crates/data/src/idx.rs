//! Reader for the IDX format of MNIST-style data sets (LeCun et al.): a big-endian header
//! with a magic number and the dimensions, followed by raw `u8` values. Files may be
//! gzip-compressed (recognised by the `1f 8b` header) or raw.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{DataError, Result};

/// Magic number of a 3-d `u8` IDX file (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of a 1-d `u8` IDX file (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

const GZIP_HEADER: [u8; 2] = [0x1f, 0x8b];

/// The images of one IDX file: `count` grayscale images of `height × width` bytes each,
/// stored row-major one after the other in `pixels` (length `count * height * width`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub height: usize,
    /// Columns per image.
    pub width: usize,
    /// Pixel bytes, `[count, height, width]` row-major.
    pub pixels: Vec<u8>,
}

/// Reads an IDX image file (magic `0x00000803`), gzip-compressed or raw.
///
/// Fails with an error naming `path` when the magic number is wrong, a dimension is zero,
/// or the payload is not exactly `count * height * width` bytes.
pub fn read_idx_images(path: &Path) -> Result<IdxImages> {
    let bytes = read_maybe_gzip(path)?;
    parse_idx_images(&bytes).map_err(|problem| DataError::format(path, problem))
}

/// Reads an IDX label file (magic `0x00000801`), gzip-compressed or raw.
///
/// Fails with an error naming `path` when the magic number is wrong or the payload is not
/// exactly as long as the header's count.
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_maybe_gzip(path)?;
    parse_idx_labels(&bytes).map_err(|problem| DataError::format(path, problem))
}

/// Reads a whole file, decompressing it when it starts with the gzip header.
fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if !raw.starts_with(&GZIP_HEADER) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() * 4);
    MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| DataError::format(path, format!("invalid gzip data: {e}")))?;
    Ok(out)
}

/// Parses the bytes of an image file; the error is the problem without the file name.
fn parse_idx_images(bytes: &[u8]) -> std::result::Result<IdxImages, String> {
    let header = read_header(bytes, IMAGES_MAGIC, 3, "u8 images, 3 dimensions")?;
    let (count, height, width) = (header[0], header[1], header[2]);
    if height == 0 || width == 0 {
        return Err(format!("invalid image size {height}x{width}"));
    }
    let expected = count
        .checked_mul(height)
        .and_then(|n| n.checked_mul(width))
        .ok_or_else(|| format!("header dimensions {count}x{height}x{width} overflow"))?;
    let payload = &bytes[header_len(3)..];
    let what = format!("{count} images of {height}x{width}");
    check_payload(payload.len(), expected, &what)?;
    Ok(IdxImages {
        count,
        height,
        width,
        pixels: payload.to_vec(),
    })
}

/// Parses the bytes of a label file; the error is the problem without the file name.
fn parse_idx_labels(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let header = read_header(bytes, LABELS_MAGIC, 1, "u8 labels, 1 dimension")?;
    let count = header[0];
    let payload = &bytes[header_len(1)..];
    check_payload(payload.len(), count, &format!("{count} labels"))?;
    Ok(payload.to_vec())
}

/// Size in bytes of a header with `dims` dimensions: magic plus one `u32` per dimension.
fn header_len(dims: usize) -> usize {
    4 + 4 * dims
}

/// Checks the magic number and returns the `dims` dimension sizes.
fn read_header(
    bytes: &[u8],
    magic: u32,
    dims: usize,
    kind: &str,
) -> std::result::Result<Vec<usize>, String> {
    if bytes.len() < header_len(dims) {
        return Err(format!(
            "truncated header: {} bytes, an IDX file of {kind} needs {}",
            bytes.len(),
            header_len(dims)
        ));
    }
    let words: Vec<u32> = bytes[..header_len(dims)]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if words[0] != magic {
        return Err(format!(
            "wrong magic number 0x{:08x}, expected 0x{magic:08x} ({kind})",
            words[0]
        ));
    }
    Ok(words[1..].iter().map(|&d| d as usize).collect())
}

/// Compares the payload length with what the header announces.
fn check_payload(found: usize, expected: usize, what: &str) -> std::result::Result<(), String> {
    if found < expected {
        Err(format!(
            "truncated: header says {what} ({expected} bytes), found {found}"
        ))
    } else if found > expected {
        Err(format!(
            "trailing data: header says {what} ({expected} bytes), found {found}"
        ))
    } else {
        Ok(())
    }
}

/// Test helpers that build IDX files in memory; shared with the other modules' tests.
#[cfg(test)]
pub(crate) mod testutil {
    use std::io::Write;
    use std::path::Path;

    /// Bytes of an IDX image file with the given header and payload.
    pub fn images_bytes(count: u32, height: u32, width: u32, pixels: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for word in [super::IMAGES_MAGIC, count, height, width] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        out.extend_from_slice(pixels);
        out
    }

    /// Bytes of an IDX label file.
    pub fn labels_bytes(labels: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&super::LABELS_MAGIC.to_be_bytes());
        out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
        out.extend_from_slice(labels);
        out
    }

    /// Writes `bytes` to `path`, gzip-compressed when `gzip` is set.
    pub fn write(path: &Path, bytes: &[u8], gzip: bool) {
        if gzip {
            let file = std::fs::File::create(path).unwrap();
            let mut enc = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            enc.write_all(bytes).unwrap();
            enc.finish().unwrap();
        } else {
            std::fs::write(path, bytes).unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    fn pixels(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn reads_raw_and_gzip_images() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = images_bytes(3, 4, 5, &pixels(60));
        for gzip in [false, true] {
            let path = dir.path().join(format!("img-{gzip}"));
            write(&path, &bytes, gzip);
            let images = read_idx_images(&path).unwrap();
            assert_eq!((images.count, images.height, images.width), (3, 4, 5));
            assert_eq!(images.pixels, pixels(60));
        }
    }

    #[test]
    fn reads_raw_and_gzip_labels() {
        let dir = tempfile::tempdir().unwrap();
        for gzip in [false, true] {
            let path = dir.path().join(format!("lab-{gzip}"));
            write(&path, &labels_bytes(&[7, 2, 1]), gzip);
            assert_eq!(read_idx_labels(&path).unwrap(), vec![7, 2, 1]);
        }
    }

    #[test]
    fn truncated_images_name_file_and_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train-images-idx3-ubyte.gz");
        write(&path, &images_bytes(8000, 28, 28, &pixels(1000)), true);
        let msg = read_idx_images(&path).unwrap_err().to_string();
        let expected = "truncated: header says 8000 images of 28x28 (6272000 bytes), found 1000";
        assert_eq!(msg, format!("{}: {expected}", path.display()));
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels");
        let mut bytes = labels_bytes(&[1, 2]);
        bytes.push(9);
        write(&path, &bytes, false);
        let msg = read_idx_labels(&path).unwrap_err().to_string();
        assert!(
            msg.contains("trailing data: header says 2 labels (2 bytes), found 3"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_magic_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("swapped");
        write(&path, &labels_bytes(&[1, 2, 3, 4, 5, 6, 7, 8]), false);
        let msg = read_idx_images(&path).unwrap_err().to_string();
        assert!(
            msg.contains("wrong magic number 0x00000801, expected 0x00000803"),
            "{msg}"
        );
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    }

    #[test]
    fn short_header_and_zero_size_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("short");
        write(&short, &[0, 0, 8], false);
        assert!(read_idx_images(&short)
            .unwrap_err()
            .to_string()
            .contains("truncated header"));

        let empty = dir.path().join("zero");
        write(&empty, &images_bytes(2, 0, 5, &[]), false);
        let msg = read_idx_images(&empty).unwrap_err().to_string();
        assert!(msg.contains("invalid image size 0x5"), "{msg}");
    }

    #[test]
    fn corrupt_gzip_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.gz");
        write(&path, &[0x1f, 0x8b, 1, 2, 3, 4], false);
        let msg = read_idx_labels(&path).unwrap_err().to_string();
        assert!(msg.contains("invalid gzip data"), "{msg}");
    }

    #[test]
    fn missing_file_names_path() {
        let msg = read_idx_labels(Path::new("/nonexistent/labels"))
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("/nonexistent/labels: "), "{msg}");
    }
}
