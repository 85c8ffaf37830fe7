//! Animated GIFs assembled from grid frames, e.g. one grid of samples per checkpoint to show
//! how the generator evolves during training.

use std::path::Path;

use gif::{Encoder, Frame, Repeat};

use crate::atomic::write_atomically;
use crate::error::{DataError, Result};
use crate::grid::RgbFrame;

/// Quantiser speed passed to the GIF encoder (1 = best palette, 30 = fastest).
const QUANTIZE_SPEED: i32 = 10;

/// Writes `frames` as a looping animated GIF to `path`, atomically, showing each frame for
/// `delay_ms` milliseconds (GIF stores delays in units of 10 ms).
///
/// All frames must have the same size, at most 65535 pixels per side; each frame gets its
/// own 256-colour palette.
pub fn write_gif(path: &Path, frames: &[RgbFrame], delay_ms: u32) -> Result<()> {
    let first = frames
        .first()
        .ok_or_else(|| DataError::InvalidArgument("a GIF needs at least one frame".into()))?;
    let size = |f: &RgbFrame| (f.width, f.height);
    if let Some(other) = frames.iter().find(|f| size(f) != size(first)) {
        return Err(DataError::InvalidArgument(format!(
            "GIF frames differ in size: {}x{} and {}x{}",
            first.width, first.height, other.width, other.height
        )));
    }
    if let Some(bad) = frames
        .iter()
        .find(|f| f.pixels.len() != 3 * f.width * f.height)
    {
        return Err(DataError::InvalidArgument(format!(
            "GIF frame of {}x{} has {} bytes, expected {}",
            bad.width,
            bad.height,
            bad.pixels.len(),
            3 * bad.width * bad.height
        )));
    }
    let too_big =
        || DataError::InvalidArgument(format!("GIF frames of {:?} are too large", size(first)));
    let width = u16::try_from(first.width).map_err(|_| too_big())?;
    let height = u16::try_from(first.height).map_err(|_| too_big())?;
    let delay = u16::try_from(delay_ms / 10).unwrap_or(u16::MAX);

    let gif_error = |e: gif::EncodingError| DataError::Gif {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    write_atomically(path, |out| {
        let mut encoder = Encoder::new(out, width, height, &[]).map_err(gif_error)?;
        encoder.set_repeat(Repeat::Infinite).map_err(gif_error)?;
        for rgb in frames {
            let mut frame = Frame::from_rgb_speed(width, height, &rgb.pixels, QUANTIZE_SPEED);
            frame.delay = delay;
            encoder.write_frame(&frame).map_err(gif_error)?;
        }
        encoder.into_inner().map_err(|e| DataError::io(path, e))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::{render_grid, GridLayout};

    fn frame(value: f32) -> RgbFrame {
        render_grid(
            &[value; 4 * 16],
            [4, 1, 4, 4],
            GridLayout::new(2, 2).with_scale(2),
        )
        .unwrap()
    }

    #[test]
    fn gif_round_trip_frame_count_size_and_delay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.gif");
        let frames = vec![frame(0.0), frame(0.5), frame(1.0)];
        write_gif(&path, &frames, 250).unwrap();

        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::RGBA);
        let mut decoder = options
            .read_info(std::fs::File::open(&path).unwrap())
            .unwrap();
        assert_eq!(
            (decoder.width() as usize, decoder.height() as usize),
            (22, 22)
        );
        let mut count = 0;
        let mut last_center = 0;
        while let Some(f) = decoder.read_next_frame().unwrap() {
            assert_eq!(f.delay, 25);
            let center = 4 * (5 * 22 + 5);
            last_center = f.buffer[center];
            count += 1;
        }
        assert_eq!(count, 3);
        assert!(last_center > 240, "white frame decoded as {last_center}");
    }

    #[test]
    fn rejects_empty_and_mismatched_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.gif");
        assert!(write_gif(&path, &[], 100).is_err());
        let small = render_grid(&[0.0], [1, 1, 1, 1], GridLayout::new(1, 1)).unwrap();
        let msg = write_gif(&path, &[frame(0.0), small], 100)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("differ in size"), "{msg}");
        let mut short = frame(0.0);
        short.pixels.pop();
        let msg = write_gif(&path, &[short], 100).unwrap_err().to_string();
        assert!(msg.contains("has 1451 bytes, expected 1452"), "{msg}");
        assert!(!path.exists());
    }
}
