//! The session report's pictures (plotters): reward, bands with targets, time in target per
//! stage; the font, colours and picture writing the history shares.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::log::Log;

/// The font the report writes with (egui's Ubuntu Light, embedded: no system fonts needed).
pub(super) fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

/// Stage shading colours (Okabe-Ito, light).
const SHADES: [RGBColor; 5] = [
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0xf0, 0xe4, 0x42),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0xe6, 0x9f, 0x00),
];
/// Band line colours (the editor's).
const BAND_COLOURS: [RGBColor; 7] = [
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0x99, 0x99, 0x00),
];

/// Converts a drawing error into a sentence.
pub(super) fn drawing<E: std::fmt::Debug>(out: &Path) -> impl Fn(E) -> String + '_ {
    move |e| format!("Cannot draw the report '{}': {e:?}.", out.display())
}

/// Whether `out` names an SVG (else a PNG); a sentence for any other name, or for a folder
/// that does not exist.
pub(super) fn picture_kind(out: &Path) -> Result<bool, String> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext != "png" && ext != "svg" {
        return Err(format!(
            "'{}': a report is a PNG or an SVG; end the name in .png or .svg.",
            out.display()
        ));
    }
    if let Some(dir) = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        return Err(format!(
            "Cannot write '{}': the folder '{}' does not exist.",
            out.display(),
            dir.display()
        ));
    }
    Ok(ext == "svg")
}

/// Writes a picture of `size` pixels to `out` (a PNG, or an SVG when the name ends in
/// `.svg`; any other name: a sentence) with `panels` drawing into it. A macro, not a function:
/// `panels` is instantiated once per backend.
macro_rules! write_picture {
    ($out:expr, $size:expr, $panels:expr) => {{
        let out: &std::path::Path = $out;
        $crate::report::draw::register_font();
        if $crate::report::draw::picture_kind(out)? {
            let root = SVGBackend::new(out, $size).into_drawing_area();
            $panels(&root).map_err($crate::report::draw::drawing(out))?;
            root.present().map_err($crate::report::draw::drawing(out))
        } else {
            let root = BitMapBackend::new(out, $size).into_drawing_area();
            $panels(&root).map_err($crate::report::draw::drawing(out))?;
            root.present().map_err($crate::report::draw::drawing(out))
        }
    }};
}
pub(super) use write_picture;

/// Draws the session report for `log` (titled `title`) into `out`: a PNG, or an SVG when
/// the name ends in `.svg` (any other name: a sentence). 1200 x 900 pixels.
pub fn draw_session(log: &Log, title: &str, out: &Path) -> Result<(), String> {
    write_picture!(out, (1200, 900), |root| session_panels(root, log, title))
}

/// The three panels.
fn session_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    log: &Log,
    title: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 26))?;
    let (top, rest) = root.split_vertically(330);
    let (middle, bottom) = rest.split_vertically(300);
    let spans = log.spans();
    let t0 = log.rows.first().map_or(0.0, |r| r.time) / 60.0;
    let t1 = (log.rows.last().map_or(1.0, |r| r.time) / 60.0).max(t0 + 1e-3);
    let shade = |chart: &mut ChartContext<DB, Cartesian2d<_, _>>, hi: f64| {
        let guided = spans.iter().any(|s| s.index >= 0);
        if !guided {
            return Ok(());
        }
        chart.draw_series(spans.iter().map(|s| {
            let c = SHADES[(s.index.max(0) as usize) % SHADES.len()].mix(0.18);
            Rectangle::new([(s.start / 60.0, 0.0), (s.end / 60.0, hi)], c.filled())
        }))?;
        chart.draw_series(spans.iter().map(|s| {
            Text::new(
                s.name.clone(),
                (s.start / 60.0 + 0.05, hi * 0.97),
                ("sans-serif", 14).into_font().color(&BLACK.mix(0.7)),
            )
        }))?;
        Ok(())
    };

    // Reward, in target shaded, the in-target level.
    let mut chart = ChartBuilder::on(&top)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .caption(
            "Reward (0-1) and the level 'in target' asks for (dashed)",
            ("sans-serif", 18),
        )
        .build_cartesian_2d(t0..t1, 0.0..1.05)?;
    chart
        .configure_mesh()
        .x_desc("minutes")
        .light_line_style(WHITE)
        .draw()?;
    shade(&mut chart, 1.05)?;
    chart.draw_series(log.rows.windows(2).filter(|w| w[0].in_target).map(|w| {
        Rectangle::new(
            [(w[0].time / 60.0, 0.0), (w[1].time / 60.0, 0.04)],
            RGBColor(0x00, 0x9e, 0x73).filled(),
        )
    }))?;
    chart.draw_series(LineSeries::new(
        log.rows.iter().map(|r| (r.time / 60.0, r.reward)),
        BLACK.stroke_width(1),
    ))?;
    dashed(
        &mut chart,
        log.rows.iter().map(|r| (r.time / 60.0, r.in_target_level)),
        RGBColor(0xd5, 0x5e, 0x00),
    )?;

    // Bands with the reward terms' targets.
    let hi = log
        .rows
        .iter()
        .flat_map(|r| r.bands.iter().chain(&r.targets))
        .copied()
        .filter(|v| v.is_finite() && *v <= 1.0)
        .fold(0.05, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&middle)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .caption(
            "Relative band power; the program's targets and ceilings dashed",
            ("sans-serif", 18),
        )
        .build_cartesian_2d(t0..t1, 0.0..hi)?;
    chart
        .configure_mesh()
        .x_desc("minutes")
        .light_line_style(WHITE)
        .draw()?;
    shade(&mut chart, hi)?;
    for (k, name) in log.bands.iter().enumerate() {
        let colour = BAND_COLOURS[band_colour(name)];
        chart
            .draw_series(LineSeries::new(
                log.rows.iter().map(|r| (r.time / 60.0, r.bands[k])),
                colour.stroke_width(1),
            ))?
            .label(name.trim_end_matches("_rel"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour));
    }
    for k in 0..3 {
        // Targets in relative-power units only (other scales do not share the axis).
        let points: Vec<(f64, f64)> = log
            .rows
            .iter()
            .map(|r| (r.time / 60.0, r.targets[k]))
            .filter(|(_, v)| v.is_finite() && *v > 0.0 && *v <= 1.0)
            .collect();
        dashed(&mut chart, points.into_iter(), RGBColor(0x55, 0x55, 0x55))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .draw()?;

    // Time in target per stage.
    let n = spans.len().max(1);
    let top_s = spans.iter().map(|s| s.end - s.start).fold(1.0, f64::max) * 1.15;
    let mut chart = ChartBuilder::on(&bottom)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .caption(
            "Time in target per stage (of the stage's time)",
            ("sans-serif", 18),
        )
        .build_cartesian_2d(0.0..n as f64, 0.0..top_s)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .light_line_style(WHITE)
        .y_desc("seconds")
        .draw()?;
    chart.draw_series(spans.iter().enumerate().map(|(i, s)| {
        Rectangle::new(
            [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, s.end - s.start)],
            BLACK.mix(0.12).filled(),
        )
    }))?;
    // Stages that do not train are grey: scored, but not what the session works toward.
    chart.draw_series(spans.iter().enumerate().map(|(i, s)| {
        let colour = if s.training {
            RGBColor(0x00, 0x9e, 0x73)
        } else {
            RGBColor(0x99, 0x99, 0x99)
        };
        Rectangle::new(
            [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, s.in_target_s)],
            colour.filled(),
        )
    }))?;
    chart.draw_series(spans.iter().enumerate().map(|(i, s)| {
        let share = if s.end > s.start {
            100.0 * s.in_target_s / (s.end - s.start)
        } else {
            0.0
        };
        let sound_only = if s.training { "" } else { ", sound only" };
        Text::new(
            format!(
                "{} {:.0} s ({share:.0} %{sound_only})",
                s.name, s.in_target_s
            ),
            (i as f64 + 0.15, top_s * 0.93),
            ("sans-serif", 13).into_font(),
        )
    }))?;
    Ok(())
}

/// A dashed line through `points` (NaN points break it).
fn dashed<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<X, Y>>,
    points: impl Iterator<Item = (f64, f64)>,
    colour: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    let pts: Vec<(f64, f64)> = points.filter(|(_, v)| v.is_finite()).collect();
    // Every other short stretch: a dash.
    let dashes = pts
        .chunks(12)
        .step_by(2)
        .map(|c| PathElement::new(c.to_vec(), colour.stroke_width(2)));
    chart.draw_series(dashes)?;
    Ok(())
}

/// The editor's colour for a band column.
fn band_colour(name: &str) -> usize {
    crate::features::bands::STANDARD_BANDS
        .iter()
        .position(|b| format!("{}_rel", b.feature) == name)
        .unwrap_or(0)
        .min(BAND_COLOURS.len() - 1)
}
