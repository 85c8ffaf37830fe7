//! Image output: sample grids and single images as PNG files, written atomically. A grid is
//! also returned as an [`RgbFrame`] so that frames of a run can be assembled into a GIF.

use std::path::Path;

use image::{ExtendedColorType, ImageFormat};

use crate::atomic::write_atomically;
use crate::error::{DataError, Result};

/// Width in pixels of the border around and between the cells of a grid.
pub const BORDER_PX: usize = 2;
/// Gray level of the border (mid-gray, distinct from both black and white backgrounds).
pub const BORDER_VALUE: u8 = 128;

/// An 8-bit RGB image, `pixels` of length `3 * width * height`, row-major, interleaved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbFrame {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Interleaved RGB bytes, `[height, width, 3]`.
    pub pixels: Vec<u8>,
}

impl RgbFrame {
    /// The RGB value of pixel `(x, y)`; `None` outside the frame (or beyond `pixels`).
    pub fn pixel(&self, x: usize, y: usize) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let at = 3 * (y * self.width + x);
        match self.pixels.get(at..at + 3) {
            Some(&[r, g, b]) => Some([r, g, b]),
            _ => None,
        }
    }
}

/// How a grid is laid out: `rows × cols` cells, each image upscaled by `scale` (nearest
/// neighbour); cells are separated and surrounded by a [`BORDER_PX`]-pixel border.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridLayout {
    /// Number of cell rows.
    pub rows: usize,
    /// Number of cell columns.
    pub cols: usize,
    /// Integer upscaling factor of each image (1 keeps the size).
    pub scale: usize,
}

impl GridLayout {
    /// A layout of `rows × cols` cells without upscaling.
    pub fn new(rows: usize, cols: usize) -> Self {
        GridLayout {
            rows,
            cols,
            scale: 1,
        }
    }

    /// The same layout with images upscaled by `scale`.
    pub fn with_scale(self, scale: usize) -> Self {
        GridLayout { scale, ..self }
    }
}

/// Converts a value in `[0, 1]` to a byte; values outside are clamped, NaN becomes 0.
pub fn to_u8(value: f32) -> u8 {
    if value.is_nan() {
        return 0;
    }
    (value.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// Renders up to `rows * cols` images into one RGB frame, filling cells row by row.
///
/// `images` is `[n, channels, height, width]` as given by `shape`, with `channels` 1
/// (shown as gray) or 3. The frame is `cols * (width * scale) + (cols + 1) * BORDER_PX`
/// pixels wide, and likewise high; unused cells stay border-gray.
pub fn render_grid(images: &[f32], shape: [usize; 4], layout: GridLayout) -> Result<RgbFrame> {
    let [n, channels, height, width] = check_shape(images, shape)?;
    if layout.rows == 0 || layout.cols == 0 || layout.scale == 0 {
        return Err(DataError::InvalidArgument(format!(
            "empty grid layout {layout:?}"
        )));
    }
    if n > layout.rows * layout.cols {
        return Err(DataError::InvalidArgument(format!(
            "{n} images do not fit a {}x{} grid",
            layout.rows, layout.cols
        )));
    }

    let (cell_h, cell_w) = (height * layout.scale, width * layout.scale);
    let frame_w = layout.cols * cell_w + (layout.cols + 1) * BORDER_PX;
    let frame_h = layout.rows * cell_h + (layout.rows + 1) * BORDER_PX;
    let mut frame = RgbFrame {
        width: frame_w,
        height: frame_h,
        pixels: vec![BORDER_VALUE; 3 * frame_w * frame_h],
    };

    let image_len = channels * height * width;
    for (k, image) in images.chunks_exact(image_len).enumerate() {
        let x0 = BORDER_PX + (k % layout.cols) * (cell_w + BORDER_PX);
        let y0 = BORDER_PX + (k / layout.cols) * (cell_h + BORDER_PX);
        paint_cell(
            &mut frame,
            image,
            [channels, height, width],
            (x0, y0),
            layout.scale,
        );
    }
    Ok(frame)
}

/// Copies one CHW image into `frame` with its top-left corner at `(x0, y0)`.
fn paint_cell(
    frame: &mut RgbFrame,
    image: &[f32],
    [channels, height, width]: [usize; 3],
    (x0, y0): (usize, usize),
    scale: usize,
) {
    let plane = height * width;
    for y in 0..height * scale {
        for x in 0..width * scale {
            let src = (y / scale) * width + x / scale;
            let at = 3 * ((y0 + y) * frame.width + x0 + x);
            for c in 0..3 {
                let channel = if channels == 1 { 0 } else { c };
                frame.pixels[at + c] = to_u8(image[channel * plane + src]);
            }
        }
    }
}

/// Renders a grid (see [`render_grid`]) and writes it to `path` as an RGB PNG, atomically.
/// Returns the rendered frame, e.g. for [`crate::write_gif`].
pub fn write_grid_png(
    path: &Path,
    images: &[f32],
    shape: [usize; 4],
    layout: GridLayout,
) -> Result<RgbFrame> {
    let frame = render_grid(images, shape, layout)?;
    let color = ExtendedColorType::Rgb8;
    encode_png(path, &frame.pixels, [frame.width, frame.height], color)?;
    Ok(frame)
}

/// Writes one image, `[channels, height, width]` with `channels` 1 or 3 and values clamped
/// to `[0, 1]`, to `path` as a grayscale or RGB PNG, atomically.
pub fn write_png(path: &Path, image: &[f32], [channels, height, width]: [usize; 3]) -> Result<()> {
    check_shape(image, [1, channels, height, width])?;
    let plane = height * width;
    let bytes: Vec<u8> = (0..plane)
        .flat_map(|i| (0..channels).map(move |c| c * plane + i))
        .map(|at| to_u8(image[at]))
        .collect();
    let color = if channels == 1 {
        ExtendedColorType::L8
    } else {
        ExtendedColorType::Rgb8
    };
    encode_png(path, &bytes, [width, height], color)
}

/// Checks that `images` matches `shape` and that the channel count is 1 or 3.
fn check_shape(images: &[f32], shape: [usize; 4]) -> Result<[usize; 4]> {
    let [n, channels, height, width] = shape;
    if channels != 1 && channels != 3 {
        return Err(DataError::InvalidArgument(format!(
            "images need 1 or 3 channels, got {channels}"
        )));
    }
    if height == 0 || width == 0 || images.len() != n * channels * height * width {
        return Err(DataError::InvalidArgument(format!(
            "{} values do not match shape {shape:?}",
            images.len()
        )));
    }
    Ok(shape)
}

/// Encodes interleaved 8-bit pixels as PNG into `path`, atomically.
fn encode_png(
    path: &Path,
    bytes: &[u8],
    [width, height]: [usize; 2],
    color: ExtendedColorType,
) -> Result<()> {
    let too_big = || DataError::InvalidArgument(format!("image {width}x{height} is too large"));
    let w = u32::try_from(width).map_err(|_| too_big())?;
    let h = u32::try_from(height).map_err(|_| too_big())?;
    write_atomically(path, |out| {
        image::write_buffer_with_format(out, bytes, w, h, color, ImageFormat::Png).map_err(
            |source| DataError::Image {
                path: path.to_path_buf(),
                source,
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_size_border_and_cells() {
        // two 1x2x3 gray images: first all 0, second a ramp; 1 row x 3 cols, scale 2
        let mut images = vec![0.0; 6];
        images.extend([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let frame =
            render_grid(&images, [2, 1, 2, 3], GridLayout::new(1, 3).with_scale(2)).unwrap();
        assert_eq!((frame.width, frame.height), (3 * 6 + 4 * 2, 2 * 2 + 2 * 2));
        assert_eq!(frame.pixel(0, 0), Some([BORDER_VALUE; 3]));
        assert_eq!(frame.pixel(2, 2), Some([0; 3]));
        // second cell starts at x = 2 + 6 + 2 = 10; source pixel (row 1, col 2) = 1.0
        assert_eq!(frame.pixel(10 + 5, 2 + 3), Some([255; 3]));
        assert_eq!(frame.pixel(10 + 2, 2), Some([to_u8(0.2); 3]));
        // the third cell is unused and stays border-gray
        assert_eq!(frame.pixel(frame.width - 3, 2), Some([BORDER_VALUE; 3]));
    }

    #[test]
    fn rgb_channels_and_clamping() {
        // one 3x1x1 image: R = 2.0 (clamped), G = -1 (clamped), B = 0.5
        let frame = render_grid(&[2.0, -1.0, 0.5], [1, 3, 1, 1], GridLayout::new(1, 1)).unwrap();
        assert_eq!(frame.pixel(2, 2), Some([255, 0, 128]));
        assert_eq!(to_u8(f32::NAN), 0);
    }

    #[test]
    fn written_png_has_expected_size_and_pixels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.png");
        let images: Vec<f32> = (0..4 * 3 * 4).map(|i| (i % 2) as f32).collect();
        let frame = write_grid_png(&path, &images, [4, 1, 3, 4], GridLayout::new(2, 2)).unwrap();
        let decoded = image::open(&path).unwrap().to_rgb8();
        assert_eq!(decoded.dimensions(), (2 * 4 + 6, 2 * 3 + 6));
        assert_eq!(decoded.as_raw(), &frame.pixels);
        assert_eq!(decoded.get_pixel(3, 2).0, [255; 3]);
        assert_eq!(decoded.get_pixel(2, 2).0, [0; 3]);
    }

    #[test]
    fn single_png_gray_and_rgb() {
        let dir = tempfile::tempdir().unwrap();
        let gray = dir.path().join("gray.png");
        write_png(&gray, &[0.0, 1.0, 0.5, 0.25, 0.0, 1.0], [1, 2, 3]).unwrap();
        let decoded = image::open(&gray).unwrap().to_luma8();
        assert_eq!(decoded.dimensions(), (3, 2));
        assert_eq!(decoded.get_pixel(1, 0).0, [255]);
        assert_eq!(decoded.get_pixel(0, 1).0, [to_u8(0.25)]);

        let rgb = dir.path().join("rgb.png");
        write_png(&rgb, &[1.0, 0.0, 0.0, 1.0, 0.0, 0.0], [3, 1, 2]).unwrap();
        let decoded = image::open(&rgb).unwrap().to_rgb8();
        assert_eq!(decoded.get_pixel(0, 0).0, [255, 0, 0]);
        assert_eq!(decoded.get_pixel(1, 0).0, [0, 255, 0]);
    }

    #[test]
    fn bad_shapes_are_rejected() {
        let layout = GridLayout::new(1, 1);
        assert!(render_grid(&[0.0; 4], [2, 2, 1, 1], layout).is_err());
        assert!(render_grid(&[0.0; 2], [2, 1, 1, 1], layout).is_err());
        assert!(render_grid(&[0.0; 3], [2, 1, 1, 1], layout).is_err());
    }
}
