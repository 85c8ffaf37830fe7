//! A dataset made of every PNG and JPEG file under a directory (searched recursively, in
//! sorted path order), converted to grayscale or RGB and resized to one common size.

use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use image::DynamicImage;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};

/// Colour handling of images loaded from a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColorMode {
    /// One channel, luma.
    Gray,
    /// Three channels, red, green and blue.
    Rgb,
}

impl ColorMode {
    /// Number of channels produced: 1 or 3.
    pub fn channels(self) -> usize {
        match self {
            ColorMode::Gray => 1,
            ColorMode::Rgb => 3,
        }
    }
}

/// How images from a folder are converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderOptions {
    /// Grayscale or RGB output.
    pub color: ColorMode,
    /// Output height in pixels.
    pub height: u32,
    /// Output width in pixels.
    pub width: u32,
}

impl Default for FolderOptions {
    /// Grayscale at 28×28, the size of MNIST.
    fn default() -> Self {
        FolderOptions {
            color: ColorMode::Gray,
            height: 28,
            width: 28,
        }
    }
}

/// Loads every `.png`, `.jpg` and `.jpeg` file (any letter case) under `dir` into an
/// unlabelled dataset of shape `[n, channels, height, width]`, values in `[0, 1]`.
///
/// Images are resized exactly (aspect ratio not kept) with a triangle filter. Fails when
/// `dir` cannot be read, holds no such file, or a file cannot be decoded (naming the file).
pub fn load_image_folder(dir: &Path, options: &FolderOptions) -> Result<Dataset> {
    if options.height == 0 || options.width == 0 {
        return Err(DataError::InvalidArgument(format!(
            "image size {}x{} must be positive",
            options.height, options.width
        )));
    }
    let mut files = Vec::new();
    collect_images(dir, &mut files)?;
    if files.is_empty() {
        return Err(DataError::NotFound {
            name: format!("images in {}", dir.display()),
            tried: "no .png, .jpg or .jpeg file in it or its subdirectories".into(),
        });
    }
    files.sort();

    let mut pixels = Vec::new();
    for file in &files {
        let decoded = image::open(file).map_err(|source| DataError::Image {
            path: file.clone(),
            source,
        })?;
        append_chw(&decoded, options, &mut pixels);
    }

    let (c, h, w) = (options.color.channels(), options.height, options.width);
    let source = format!(
        "{} images from {} ({c}x{h}x{w})",
        files.len(),
        dir.display()
    );
    Dataset::new(pixels, None, [c, h as usize, w as usize], source)
}

/// Recursively appends the image files under `dir` to `out`.
fn collect_images(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        if path.is_dir() {
            collect_images(&path, out)?;
        } else if is_image_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// True for file names ending in `.png`, `.jpg` or `.jpeg`, ignoring case.
fn is_image_file(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg"))
}

/// Resizes and colour-converts one image and appends it to `out` in CHW order.
fn append_chw(decoded: &DynamicImage, options: &FolderOptions, out: &mut Vec<f32>) {
    let resized = decoded.resize_exact(options.width, options.height, FilterType::Triangle);
    let (interleaved, channels) = match options.color {
        ColorMode::Gray => (resized.to_luma8().into_raw(), 1),
        ColorMode::Rgb => (resized.to_rgb8().into_raw(), 3),
    };
    for c in 0..channels {
        out.extend(
            interleaved
                .iter()
                .skip(c)
                .step_by(channels)
                .map(|&v| f32::from(v) / 255.0),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn solid(path: &Path, size: (u32, u32), color: [u8; 3]) {
        RgbImage::from_pixel(size.0, size.1, Rgb(color))
            .save(path)
            .unwrap();
    }

    #[test]
    fn loads_png_and_jpeg_recursively_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        solid(&dir.path().join("a.png"), (8, 6), [255, 0, 0]);
        solid(&dir.path().join("sub/b.JPG"), (5, 5), [0, 0, 255]);
        std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();

        let options = FolderOptions {
            color: ColorMode::Rgb,
            height: 4,
            width: 3,
        };
        let data = load_image_folder(dir.path(), &options).unwrap();
        assert_eq!(data.shape(), [2, 3, 4, 3]);
        assert!(data.labels().is_none());
        let red = data.image(0).unwrap();
        assert!(red[..12].iter().all(|&v| v == 1.0));
        assert!(red[12..].iter().all(|&v| v == 0.0));
        let blue = data.image(1).unwrap();
        assert!(
            blue[24..].iter().all(|&v| v > 0.9),
            "JPEG blue channel {:?}",
            &blue[24..]
        );
    }

    #[test]
    fn grayscale_has_one_channel() {
        let dir = tempfile::tempdir().unwrap();
        solid(&dir.path().join("white.png"), (3, 3), [255, 255, 255]);
        let data = load_image_folder(dir.path(), &FolderOptions::default()).unwrap();
        assert_eq!(data.shape(), [1, 1, 28, 28]);
        assert!(data.images().iter().all(|&v| v == 1.0));
    }

    #[test]
    fn unreadable_image_is_named() {
        let dir = tempfile::tempdir().unwrap();
        solid(&dir.path().join("good.png"), (2, 2), [0, 0, 0]);
        let bad = dir.path().join("broken.png");
        std::fs::write(&bad, b"definitely not a png").unwrap();
        let msg = load_image_folder(dir.path(), &FolderOptions::default())
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with(&bad.display().to_string()), "{msg}");
    }

    #[test]
    fn empty_or_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let msg = load_image_folder(dir.path(), &FolderOptions::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no .png, .jpg or .jpeg file"), "{msg}");
        let missing = dir.path().join("missing");
        assert!(load_image_folder(&missing, &FolderOptions::default()).is_err());
    }
}
