//! Line charts as PNG bytes, drawn with plotters' bitmap backend: training losses and metric
//! curves over iterations, several named series per chart with a legend.
//!
//! Text is rendered with DejaVu Sans embedded in the crate (see `assets/fonts/README.md`) and
//! plotters' `ab_glyph` backend, so charts have labels on a machine without system fonts.

use std::path::Path;
use std::sync::OnceLock;

use image::{codecs::png::PngEncoder, ExtendedColorType, ImageEncoder};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::error::{io_err, EvalError, Result};

/// The embedded DejaVu Sans (Bitstream Vera licence, notice in `assets/fonts/`).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// Font family name under which the embedded font is registered.
pub const FONT: &str = "sans-serif";

/// Default chart size in pixels, `(width, height)`.
pub const DEFAULT_SIZE: (u32, u32) = (800, 450);

/// Series with at most this many points also get a dot per point, so that a curve of one
/// point (a short run) is visible.
pub const MARKER_MAX_POINTS: usize = 30;

/// Line and bar colours, in order: distinguishable on white and for common colour blindness.
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// One named curve: `(x, y)` points, e.g. `(iteration, loss)`. Non-finite points are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// The points whose coordinates are both finite.
    pub fn finite(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    }
}

/// A line chart of one or more series sharing the axes.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Caption above the plot.
    pub title: String,
    /// Label of the horizontal axis, e.g. "iteration".
    pub x_label: String,
    /// Label of the vertical axis, e.g. "loss".
    pub y_label: String,
    /// The curves, drawn in palette order.
    pub series: Vec<Series>,
    /// Image size in pixels, `(width, height)`.
    pub size: (u32, u32),
}

impl LineChart {
    /// An empty chart of [`DEFAULT_SIZE`].
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Self {
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            y_label: y_label.to_owned(),
            series: Vec::new(),
            size: DEFAULT_SIZE,
        }
    }

    /// Adds a named series of `(x, y)` points.
    pub fn with_series(mut self, name: &str, points: Vec<(f64, f64)>) -> Self {
        self.series.push(Series {
            name: name.to_owned(),
            points,
        });
        self
    }

    /// Draws the chart and encodes it as PNG bytes of `size`.
    pub fn render_png(&self) -> Result<Vec<u8>> {
        render_rgb_png(&self.title, self.size, |root| self.draw(root))
    }

    /// Draws the chart into a PNG file at `path`.
    pub fn save_png(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.render_png()?).map_err(io_err(path))
    }

    fn draw(&self, root: &Canvas) -> std::result::Result<(), PlotError> {
        let xs = padded_range(self.series.iter().flat_map(Series::finite).map(|p| p.0));
        let ys = padded_range(self.series.iter().flat_map(Series::finite).map(|p| p.1));
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(xs, ys)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&tick_label)
            .y_label_formatter(&tick_label)
            .label_style((FONT, 14))
            .draw()?;
        for (i, s) in self.series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(s.finite(), colour.stroke_width(2)))?
                .label(&s.name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            if s.finite().count() <= MARKER_MAX_POINTS {
                chart.draw_series(s.finite().map(|p| Circle::new(p, 3, colour.filled())))?;
            }
        }
        if self.series.len() > 1 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .label_font((FONT, 14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
        }
        Ok(())
    }
}

/// Drawing area of the in-memory RGB bitmap.
pub(crate) type Canvas<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// The error plotters returns for drawing into [`Canvas`].
pub(crate) type PlotError =
    DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

/// Registers the embedded font with plotters once; every chart calls this before drawing.
pub(crate) fn ensure_font() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok())
}

/// Runs `draw` on a white RGB canvas of `size` and encodes the result as PNG.
pub(crate) fn render_rgb_png(
    title: &str,
    size: (u32, u32),
    draw: impl FnOnce(&Canvas) -> std::result::Result<(), PlotError>,
) -> Result<Vec<u8>> {
    let fail = |message: String| EvalError::Plot {
        title: title.to_owned(),
        message,
    };
    if !ensure_font() {
        return Err(fail("embedded font could not be parsed".to_owned()));
    }
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3]; // [h, w, 3]
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&rgb, size.0, size.1, ExtendedColorType::Rgb8)
        .map_err(|e| fail(e.to_string()))?;
    Ok(png)
}

/// Axis tick text: at most 3 decimals without trailing zeros, scientific outside 1e-3..1e5.
pub(crate) fn tick_label(v: &f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}");
    }
    let fixed = format!("{v:.3}");
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Min..max of `values` widened by 5% on each side; `0..1` when there are none and ±1 around a
/// single value.
pub(crate) fn padded_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo > hi {
        return 0.0..1.0;
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    lo - pad..hi + pad
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn png_size_and_colours(png: &[u8]) -> ((u32, u32), usize) {
        let img = image::load_from_memory(png).unwrap().to_rgb8();
        let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        colours.sort_unstable();
        colours.dedup();
        (img.dimensions(), colours.len())
    }

    #[test]
    fn line_chart_is_a_png_of_the_requested_size() {
        let g: Vec<(f64, f64)> = (0..200)
            .map(|i| (i as f64, (i as f64 / 20.0).sin()))
            .collect();
        let c: Vec<(f64, f64)> = (0..200)
            .map(|i| (i as f64, -1.0 + i as f64 / 100.0))
            .collect();
        let mut chart = LineChart::new("losses", "iteration", "loss")
            .with_series("generator", g)
            .with_series("critic", c);
        chart.size = (640, 360);
        let png = chart.render_png().unwrap();
        assert_eq!(&png[..4], b"\x89PNG");
        let (size, colours) = png_size_and_colours(&png);
        assert_eq!(size, (640, 360));
        // two line colours plus anti-aliased text: far more than a blank canvas
        assert!(colours > 20, "only {colours} colours");
    }

    #[test]
    fn empty_and_nan_series_still_render() {
        let chart = LineChart::new("empty", "x", "y").with_series("nan", vec![(0.0, f64::NAN)]);
        assert!(chart.render_png().is_ok());
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(&200.0), "200");
        assert_eq!(tick_label(&-0.25), "-0.25");
        assert_eq!(tick_label(&-0.0001), "-1.0e-4");
        assert_eq!(tick_label(&0.0), "0");
        assert_eq!(tick_label(&-0.0), "0");
    }

    #[test]
    fn ranges_are_padded() {
        assert_eq!(padded_range([2.0, 2.0].into_iter()), 1.0..3.0);
        assert_eq!(padded_range(std::iter::empty()), 0.0..1.0);
        let r = padded_range([0.0, 10.0].into_iter());
        assert!((r.start + 0.5).abs() < 1e-12 && (r.end - 10.5).abs() < 1e-12);
    }
}
