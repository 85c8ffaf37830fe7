//! Grouped bar charts as PNG bytes, used for the class histogram of generated samples next to
//! the real one.

use plotters::prelude::*;

use crate::error::Result;
use crate::modes::ModeCoverage;
use crate::plots::{render_rgb_png, tick_label, Canvas, PlotError, DEFAULT_SIZE, FONT, PALETTE};

/// Bars for `n` categories, one bar per group and category side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Caption above the plot.
    pub title: String,
    /// Label of the horizontal axis, e.g. "class".
    pub x_label: String,
    /// Label of the vertical axis, e.g. "share of samples".
    pub y_label: String,
    /// Named groups, each with one value per category (all of the same length).
    pub groups: Vec<(String, Vec<f64>)>,
    /// Image size in pixels, `(width, height)`.
    pub size: (u32, u32),
}

impl BarChart {
    /// Draws the chart and encodes it as PNG bytes of `size`.
    pub fn render_png(&self) -> Result<Vec<u8>> {
        render_rgb_png(&self.title, self.size, |root| self.draw(root))
    }

    fn draw(&self, root: &Canvas) -> std::result::Result<(), PlotError> {
        let n = self.groups.iter().map(|g| g.1.len()).max().unwrap_or(0);
        let top = self
            .groups
            .iter()
            .flat_map(|g| g.1.iter().copied())
            .fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..(top * 1.1).max(1e-3))?;
        let label = |x: &f64| category_label(*x);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.max(1))
            .x_label_formatter(&label)
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .y_label_formatter(&tick_label)
            .label_style((FONT, 14))
            .draw()?;
        let width = 0.8 / self.groups.len().max(1) as f64;
        for (g, (name, values)) in self.groups.iter().enumerate() {
            let colour = PALETTE[g % PALETTE.len()];
            let left = -0.4 + g as f64 * width;
            let bars = values.iter().enumerate().map(move |(c, &v)| {
                let x0 = c as f64 + left;
                Rectangle::new([(x0, 0.0), (x0 + width, v)], colour.filled())
            });
            chart.draw_series(bars)?.label(name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
            });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}

/// Bar chart of the share of generated and real samples per predicted class.
pub fn class_histogram(modes: &ModeCoverage) -> BarChart {
    BarChart {
        title: format!(
            "predicted classes ({} of {} covered)",
            modes.covered, modes.n_classes
        ),
        x_label: "class".to_owned(),
        y_label: "share of samples".to_owned(),
        groups: vec![
            ("generated".to_owned(), modes.shares.clone()),
            ("real".to_owned(), modes.reference_shares.clone()),
        ],
        size: DEFAULT_SIZE,
    }
}

/// Tick label for a category axis: the index at whole numbers, nothing in between.
fn category_label(x: f64) -> String {
    if (x - x.round()).abs() < 1e-6 && x >= -1e-6 {
        format!("{}", x.round() as usize)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modes::ModeCoverage;

    #[test]
    fn class_histogram_renders() {
        let modes = ModeCoverage {
            covered: 2,
            n_classes: 3,
            min_share: 1.0 / 6.0,
            shares: vec![0.6, 0.4, 0.0],
            reference_shares: vec![1.0 / 3.0; 3],
            kl: 0.5,
        };
        let png = class_histogram(&modes).render_png().unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), DEFAULT_SIZE);
    }

    #[test]
    fn category_labels_only_at_integers() {
        assert_eq!(category_label(3.0), "3");
        assert_eq!(category_label(2.5), "");
        assert_eq!(category_label(-0.5), "");
    }
}
