//! Checks that a browser screenshot of `report.html` shows a rendered page: the expected size,
//! many distinct colours and a real share of non-background pixels. Exits non-zero otherwise.
//!
//! Usage: `cargo run -p gantry-eval --example check_screenshot -- SHOT.png [WIDTH HEIGHT]`

use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;

/// A page with text, charts and sample grids has thousands of colours; a blank or error page
/// has a handful.
const MIN_DISTINCT_COLOURS: usize = 256;

/// Share of pixels that differ from the most common (background) colour.
const MIN_FOREGROUND_SHARE: f64 = 0.05;

fn main() -> ExitCode {
    match run() {
        Ok(summary) => {
            println!("screenshot ok: {summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("screenshot check failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: check_screenshot SHOT.png [WIDTH HEIGHT]")?;
    let img = image::open(path)
        .map_err(|e| format!("{path}: {e}"))?
        .to_rgb8();
    if let [_, w, h] = args.as_slice() {
        let expected = (w.parse::<u32>()?, h.parse::<u32>()?);
        if img.dimensions() != expected {
            return Err(
                format!("{path}: size {:?}, expected {expected:?}", img.dimensions()).into(),
            );
        }
    }

    let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
    for p in img.pixels() {
        *counts.entry(p.0).or_default() += 1;
    }
    let total = img.pixels().len();
    let background = counts.values().copied().max().unwrap_or(0);
    let foreground = 1.0 - background as f64 / total.max(1) as f64;
    let summary = format!(
        "{path}: {}x{}, {} distinct colours, {:.1}% non-background pixels",
        img.width(),
        img.height(),
        counts.len(),
        100.0 * foreground
    );
    if counts.len() < MIN_DISTINCT_COLOURS || foreground < MIN_FOREGROUND_SHARE {
        return Err(format!("looks blank or broken: {summary}").into());
    }
    Ok(summary)
}
