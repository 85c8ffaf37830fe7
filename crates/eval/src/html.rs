//! A self-contained `report.html` for one training run: config, final metrics next to the
//! real-data floor, curves, the last sample grid, an animation of grids and the class
//! histogram. Images are embedded as base64 data URIs and the CSS is inline, so the file makes
//! no external requests and can be mailed or archived on its own.

use std::fmt::Write;
use std::path::Path;

use base64::{engine::general_purpose::STANDARD, Engine};

use crate::bars::class_histogram;
use crate::error::{io_err, EvalError, Result};
use crate::plots::LineChart;
use crate::report::{EvalReport, Metrics};

/// Everything shown in the report; absent parts are left out of the page.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportPage<'a> {
    /// Page heading, e.g. the run name.
    pub title: &'a str,
    /// The run's configuration as text (e.g. its TOML), shown verbatim.
    pub config_text: &'a str,
    /// Final metrics and the real-data floor; also drives the class histogram.
    pub eval: Option<&'a EvalReport>,
    /// Curves to draw, e.g. losses and metrics over iterations.
    pub charts: &'a [LineChart],
    /// Last sample grid as PNG bytes.
    pub last_grid_png: Option<&'a [u8]>,
    /// Grids over training as an animated GIF.
    pub grid_gif: Option<&'a [u8]>,
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{border-bottom:2px solid #446;padding-bottom:.3em}h2{color:#335;margin-top:1.6em}
pre{background:#f4f4f8;padding:1em;overflow-x:auto;border-radius:4px}
table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.35em .8em;text-align:right}
th{background:#eef}td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}
img{max-width:100%;border:1px solid #ddd}.grid{image-rendering:pixelated;width:448px}
.figs{display:flex;flex-wrap:wrap;gap:1em}.note{color:#666;font-size:.9em}";

/// Renders the page as one HTML string.
pub fn render_html(page: &ReportPage) -> Result<String> {
    let mut html = String::new();
    let title = escape_html(page.title);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    );
    let _ = write!(
        html,
        "<title>{title}</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(html, "<h1>{title}</h1>");
    if let Some(eval) = page.eval {
        html += &metrics_section(eval)?;
    }
    html += &samples_section(page)?;
    html += &charts_section(page.charts)?;
    let config = escape_html(page.config_text);
    let _ = writeln!(
        html,
        "<h2>Configuration</h2><pre>{config}</pre></body></html>"
    );
    Ok(html)
}

/// Renders the page and writes it to `path` (conventionally `report.html`).
pub fn write_html(page: &ReportPage, path: &Path) -> Result<()> {
    std::fs::write(path, render_html(page)?).map_err(io_err(path))
}

/// Escapes `&`, `<`, `>`, `"` and `'` so that `text` shows literally in HTML text or in a
/// quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `data:image/png;base64,...` (or `image/gif`) for image bytes; the type comes from the
/// file's magic number, and anything but PNG or GIF is refused.
pub fn data_uri(what: &'static str, bytes: &[u8]) -> Result<String> {
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "image/gif"
    } else {
        return Err(EvalError::UnknownImage { what });
    };
    Ok(format!("data:{mime};base64,{}", STANDARD.encode(bytes)))
}

fn img_tag(what: &'static str, bytes: &[u8], alt: &str, class: &str) -> Result<String> {
    let src = data_uri(what, bytes)?;
    Ok(format!(
        "<img src=\"{src}\" alt=\"{}\" class=\"{class}\">",
        escape_html(alt)
    ))
}

/// A row of the metrics table: name, how to print the value, how to read it.
type MetricRow = (&'static str, fn(&Metrics) -> String, &'static str);

const METRIC_ROWS: [MetricRow; 6] = [
    (
        "FID",
        |m| format!("{:.3}", m.fid),
        "lower is better; floor = sampling noise",
    ),
    (
        "classifier score",
        |m| format!("{:.3}", m.score),
        "higher is better; at most k",
    ),
    (
        "precision",
        |m| format!("{:.3}", m.precision),
        "share of samples that look real",
    ),
    (
        "recall",
        |m| format!("{:.3}", m.recall),
        "share of real variety covered",
    ),
    (
        "modes covered",
        covered,
        "classes with at least the minimum share",
    ),
    (
        "class KL",
        |m| format!("{:.4}", m.modes.kl),
        "KL(generated ‖ real) of class shares",
    ),
];

fn metrics_section(eval: &EvalReport) -> Result<String> {
    let mut html = String::from("<h2>Final metrics</h2><table>");
    html += "<tr><th>metric</th><th>generator</th><th>real floor</th><th>reading</th></tr>";
    let (g, r) = (&eval.generated, &eval.real);
    for (name, value, reading) in METRIC_ROWS {
        let _ = write!(
            html,
            "<tr><td>{name}</td><td>{}</td><td>{}</td>",
            value(g),
            value(r)
        );
        let _ = write!(html, "<td>{reading}</td></tr>");
    }
    let _ = write!(
        html,
        "</table><p class=\"note\">{} generated and {} real training samples against {} real \
         test samples; features of width {}; k = {} for precision and recall.</p>",
        eval.n, eval.n_real, eval.n_reference, eval.feature_dim, eval.config.k
    );
    let histogram = class_histogram(&eval.generated.modes).render_png()?;
    html += &img_tag("class histogram", &histogram, "class histogram", "")?;
    Ok(html)
}

fn covered(m: &Metrics) -> String {
    let share = 100.0 * m.modes.min_share;
    format!(
        "{} / {} (≥ {share:.1}%)",
        m.modes.covered, m.modes.n_classes
    )
}

fn samples_section(page: &ReportPage) -> Result<String> {
    if page.last_grid_png.is_none() && page.grid_gif.is_none() {
        return Ok(String::new());
    }
    let mut html = String::from("<h2>Samples</h2><div class=\"figs\">");
    if let Some(png) = page.last_grid_png {
        let img = img_tag("last sample grid", png, "last sample grid", "grid")?;
        let _ = write!(
            html,
            "<figure>{img}<figcaption>last grid</figcaption></figure>"
        );
    }
    if let Some(gif) = page.grid_gif {
        let img = img_tag("grid animation", gif, "sample grids over training", "grid")?;
        let _ = write!(
            html,
            "<figure>{img}<figcaption>grids over training</figcaption></figure>"
        );
    }
    Ok(html + "</div>")
}

fn charts_section(charts: &[LineChart]) -> Result<String> {
    if charts.is_empty() {
        return Ok(String::new());
    }
    let mut html = String::from("<h2>Curves</h2><div class=\"figs\">");
    for chart in charts {
        html += &img_tag("chart", &chart.render_png()?, &chart.title, "")?;
    }
    Ok(html + "</div>")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
    ];

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn data_uri_detects_type_and_refuses_others() {
        assert!(data_uri("t", PNG_1X1)
            .unwrap()
            .starts_with("data:image/png;base64,iVBORw0KGgo"));
        assert!(data_uri("t", b"GIF89a...")
            .unwrap()
            .starts_with("data:image/gif;base64,"));
        assert!(data_uri("t", b"<svg>").is_err());
    }

    #[test]
    fn page_is_self_contained_and_escaped() {
        let charts =
            [LineChart::new("loss", "iteration", "loss").with_series("g", vec![(0.0, 1.0)])];
        let page = ReportPage {
            title: "run <1>",
            config_text: "lr = 1e-4 # </pre><script>alert(1)</script>",
            charts: &charts,
            last_grid_png: Some(PNG_1X1),
            ..ReportPage::default()
        };
        let html = render_html(&page).unwrap();
        assert!(html.contains("run &lt;1&gt;"));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert_eq!(html.matches("<img src=\"data:image/png;base64,").count(), 2);
    }
}
