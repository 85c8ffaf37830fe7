//! The pictures and `report.html` of one run directory, built from what training left there:
//! `config.toml`, `metrics.jsonl` (curves), `samples/iter-*.png` (the animation),
//! `samples/latest.png` (the last grid) and, when present, `eval.json` (final metrics beside
//! the real-data floor, and the class histogram).
//!
//! Written files: `plots/*.png` (one per chart, plus `class_histogram.png`),
//! `samples/progress.gif` and `report.html`.

use std::path::{Path, PathBuf};

use gantry_data::{write_gif, RgbFrame};
use serde_json::Value;

use crate::bars::class_histogram;
use crate::error::{io_err, EvalError, Result};
use crate::html::{write_html, ReportPage};
use crate::plots::LineChart;
use crate::report::EvalReport;

/// Most frames in the animation; longer runs show evenly spaced grids (the last always).
pub const MAX_GIF_FRAMES: usize = 60;

/// Display time of one animation frame.
pub const GIF_DELAY_MS: u32 = 250;

/// What [`write_run_report`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The page.
    pub html: PathBuf,
    /// Chart images.
    pub plots: Vec<PathBuf>,
    /// The animation of sample grids, when the run has any.
    pub gif: Option<PathBuf>,
    /// Frames in the animation.
    pub gif_frames: usize,
}

/// Every JSON line of `metrics.jsonl`; a missing file is an empty run.
pub fn read_metrics_lines(path: &Path) -> Result<Vec<Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut records = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let value = serde_json::from_str(line).map_err(|e| EvalError::BadFile {
            path: path.to_path_buf(),
            problem: format!("line {}: {e}", i + 1),
        })?;
        records.push(value);
    }
    Ok(records)
}

/// `(iteration, value)` of every record holding numeric `key`.
fn curve(records: &[Value], key: &str) -> Vec<(f64, f64)> {
    records
        .iter()
        .filter_map(|r| Some((r.get("iteration")?.as_f64()?, r.get(key)?.as_f64()?)))
        .collect()
}

/// The charts worth drawing from `records`: losses, the Wasserstein estimate, and each
/// evaluation metric that was recorded during training.
pub fn training_charts(records: &[Value]) -> Vec<LineChart> {
    let specs: [(&str, &str, &[&str]); 6] = [
        ("losses", "loss", &["critic_loss", "generator_loss"]),
        ("critic estimate", "value", &["wasserstein", "penalty"]),
        ("FID during training", "FID", &["fid"]),
        ("classifier score during training", "score", &["score"]),
        ("precision and recall", "share", &["precision", "recall"]),
        ("modes covered", "classes", &["modes_covered"]),
    ];
    let mut charts = Vec::new();
    for (title, y_label, keys) in specs {
        let mut chart = LineChart::new(title, "iteration", y_label);
        for key in keys {
            let points = curve(records, key);
            if !points.is_empty() {
                chart = chart.with_series(key, points);
            }
        }
        if !chart.series.is_empty() {
            charts.push(chart);
        }
    }
    charts
}

/// `samples/iter-*.png` in iteration order (zero-padded names sort numerically).
fn grid_files(samples: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(samples) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(samples)(e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("iter-") && name.ends_with(".png")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// At most `max` of `items`, evenly spaced, the first and last included.
fn evenly_spaced<T: Clone>(items: &[T], max: usize) -> Vec<T> {
    if items.len() <= max || max < 2 {
        return items
            .iter()
            .take(max.max(items.len().min(1)))
            .cloned()
            .collect();
    }
    (0..max)
        .map(|i| items[i * (items.len() - 1) / (max - 1)].clone())
        .collect()
}

/// Decodes a PNG file into an RGB frame.
fn decode_frame(path: &Path) -> Result<RgbFrame> {
    let image = image::open(path).map_err(|e| EvalError::BadFile {
        path: path.to_path_buf(),
        problem: format!("cannot decode image ({e})"),
    })?;
    let rgb = image.to_rgb8();
    Ok(RgbFrame {
        width: rgb.width() as usize,
        height: rgb.height() as usize,
        pixels: rgb.into_raw(),
    })
}

/// Writes `samples/progress.gif` from the run's grids; `None` when there are none.
pub fn write_progress_gif(run_dir: &Path) -> Result<Option<(PathBuf, usize)>> {
    let samples = run_dir.join("samples");
    let files = evenly_spaced(&grid_files(&samples)?, MAX_GIF_FRAMES);
    if files.is_empty() {
        return Ok(None);
    }
    let frames = files
        .iter()
        .map(|f| decode_frame(f))
        .collect::<Result<Vec<_>>>()?;
    let path = samples.join("progress.gif");
    write_gif(&path, &frames, GIF_DELAY_MS)?;
    Ok(Some((path, frames.len())))
}

/// Reads `eval.json` of the run when it exists.
fn read_eval(run_dir: &Path) -> Result<Option<EvalReport>> {
    let path = run_dir.join("eval.json");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
    let report = serde_json::from_str(&text).map_err(|e| EvalError::BadFile {
        path: path.clone(),
        problem: e.to_string(),
    })?;
    Ok(Some(report))
}

/// File name of a chart: its title in lower case with `_` for anything not alphanumeric.
fn chart_file(title: &str) -> String {
    let stem: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.png")
}

/// Draws the run's charts and animation and writes `report.html`. `eval` is the final
/// evaluation; when `None`, the run's `eval.json` is used if there is one.
pub fn write_run_report(run_dir: &Path, eval: Option<&EvalReport>) -> Result<RunReport> {
    let config_path = run_dir.join("config.toml");
    let config_text = std::fs::read_to_string(&config_path).map_err(io_err(&config_path))?;
    let records = read_metrics_lines(&run_dir.join("metrics.jsonl"))?;
    let charts = training_charts(&records);
    let stored = match eval {
        Some(_) => None,
        None => read_eval(run_dir)?,
    };
    let eval = eval.or(stored.as_ref());

    let plots_dir = run_dir.join("plots");
    std::fs::create_dir_all(&plots_dir).map_err(io_err(&plots_dir))?;
    let mut plots = Vec::new();
    for chart in &charts {
        let path = plots_dir.join(chart_file(&chart.title));
        chart.save_png(&path)?;
        plots.push(path);
    }
    if let Some(eval) = eval {
        let path = plots_dir.join("class_histogram.png");
        let png = class_histogram(&eval.generated.modes).render_png()?;
        std::fs::write(&path, png).map_err(io_err(&path))?;
        plots.push(path);
    }

    let gif = write_progress_gif(run_dir)?;
    let gif_bytes = match &gif {
        Some((path, _)) => Some(std::fs::read(path).map_err(io_err(path))?),
        None => None,
    };
    let latest = run_dir.join("samples").join("latest.png");
    let last_grid = match latest.exists() {
        true => Some(std::fs::read(&latest).map_err(io_err(&latest))?),
        false => None,
    };

    let title = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| run_dir.display().to_string());
    let page = ReportPage {
        title: &format!("gantry run {title}"),
        config_text: &config_text,
        eval,
        charts: &charts,
        last_grid_png: last_grid.as_deref(),
        grid_gif: gif_bytes.as_deref(),
    };
    let html = run_dir.join("report.html");
    write_html(&page, &html)?;
    let gif_frames = gif.as_ref().map_or(0, |g| g.1);
    Ok(RunReport {
        html,
        plots,
        gif: gif.map(|g| g.0),
        gif_frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_come_from_the_keys_present() {
        let records: Vec<Value> = [
            r#"{"iteration": 10, "critic_loss": -1.0, "generator_loss": 0.5, "wasserstein": 1}"#,
            r#"{"iteration": 20, "fid": 30.0, "precision": 0.5, "recall": 0.2}"#,
            r#"{"iteration": 20, "critic_loss": -2.0, "generator_loss": 0.7, "wasserstein": 2}"#,
        ]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
        let charts = training_charts(&records);
        let titles: Vec<&str> = charts.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "losses",
                "critic estimate",
                "FID during training",
                "precision and recall"
            ]
        );
        assert_eq!(charts[0].series[0].points, [(10.0, -1.0), (20.0, -2.0)]);
        assert_eq!(charts[1].series.len(), 1, "no penalty recorded");
    }

    #[test]
    fn frames_are_evenly_spaced_with_both_ends() {
        let items: Vec<usize> = (0..100).collect();
        let picked = evenly_spaced(&items, 5);
        assert_eq!(picked, [0, 24, 49, 74, 99]);
        assert_eq!(evenly_spaced(&items[..3], 5), [0, 1, 2]);
        assert!(evenly_spaced::<usize>(&[], 5).is_empty());
    }

    #[test]
    fn bad_metrics_line_names_file_and_line() {
        let path = std::env::temp_dir().join(format!("gantry-m-{}.jsonl", std::process::id()));
        std::fs::write(&path, "{\"iteration\": 1}\nnot json\n").unwrap();
        let err = read_metrics_lines(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).ok();
        assert!(
            err.contains("metrics.jsonl") || err.contains(".jsonl: line 2"),
            "{err}"
        );
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn chart_files_are_safe_names() {
        assert_eq!(chart_file("FID during training"), "fid_during_training.png");
    }
}
