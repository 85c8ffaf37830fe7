//! Sample grids: generated images `[n, c, h, w]` tiled into a PNG.

use std::path::Path;

use gantry_data::{write_grid_png, DataError, GridLayout};
use gantry_engine::Tensor;

/// Upscaling of grid cells, so that 28-pixel digits are easy to see.
const CELL_SCALE: usize = 2;

/// Writes the first `side²` images of `images` as a `side × side` grid to `path`.
pub fn write_grid(images: &Tensor, side: usize, path: &Path) -> Result<(), DataError> {
    let [n, c, h, w] = [images.dim(0), images.dim(1), images.dim(2), images.dim(3)];
    let count = n.min(side * side);
    let rows = count.div_ceil(side.max(1));
    let layout = GridLayout::new(rows, side.min(count)).with_scale(CELL_SCALE);
    let data = &images.data()[..count * c * h * w];
    write_grid_png(path, data, [count, c, h, w], layout)?;
    Ok(())
}
