//! `melodiasync features`: feature frames from a recording, as CSV.

use std::path::PathBuf;

use melodiasync::eeg::recording::{self, ReadOptions, Recording};
use melodiasync::features::baseline::FeatureId;
use melodiasync::features::extractor::{resolve_channels, Estimator};
use melodiasync::features::spectrum::Detrend;
use melodiasync::features::{Band, Extractor, ExtractorConfig, FeatureFrame};

/// Options of `melodiasync features`.
#[derive(clap::Args, Clone)]
pub(crate) struct FeaturesArgs {
    /// Recording: CSV with a header of channel labels (optional first column 'time'), EDF/BDF
    /// or XDF.
    pub(crate) recording: PathBuf,
    /// Output CSV.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Sample rate in Hz, for files without timestamps.
    #[arg(long, value_parser = crate::numbers::within(1.0f32, 100_000.0, " Hz"))]
    pub(crate) rate: Option<f32>,
    /// Analysis window in seconds.
    #[arg(long, default_value_t = 1.0, value_parser = crate::numbers::within(0.05f32, 60.0, " s"))]
    pub(crate) window: f32,
    /// Seconds between frames.
    #[arg(long, default_value_t = 1.0 / 32.0, value_parser = crate::numbers::within(0.001f32, 60.0, " s"))]
    pub(crate) hop: f32,
    /// Welch segment length in seconds (default: the whole window).
    #[arg(long, value_parser = crate::numbers::within(0.05f32, 60.0, " s"))]
    pub(crate) segment: Option<f32>,
    /// Welch segment overlap, 0..0.95.
    #[arg(long, default_value_t = 0.5, value_parser = crate::numbers::within(0.0f32, 0.95, ""))]
    pub(crate) overlap: f32,
    /// Segment detrending: mean, linear or none.
    #[arg(long, default_value = "mean", value_parser = parse_detrend)]
    pub(crate) detrend: Detrend,
    /// Signals to analyse, by label or number, comma separated (default: the EEG signals;
    /// any signals that share one rate can be named).
    #[arg(long, value_delimiter = ',')]
    pub(crate) channels: Vec<String>,
    /// The XDF stream to analyse, by name or source id (default: the first EEG stream).
    #[arg(long)]
    pub(crate) stream: Option<String>,
    /// Extra band NAME:LOW-HIGH in Hz, repeatable (e.g. --band mu:9-11).
    #[arg(long = "band", value_parser = parse_band)]
    pub(crate) bands: Vec<Band>,
    /// Asymmetry pair LEFT,RIGHT by label or index (default F3,F4 when present).
    #[arg(long, value_delimiter = ',')]
    pub(crate) asymmetry: Vec<String>,
    /// Interpolate over 50/60 Hz line-noise bins before integrating bands.
    #[arg(long)]
    pub(crate) remove_line: bool,
    /// Also write each channel's absolute band powers.
    #[arg(long)]
    pub(crate) per_channel: bool,
    /// Band-power estimator: welch (the analysis reference) or quadrature (the low-latency
    /// filters live feedback uses).
    #[arg(long, default_value = "welch", value_parser = Estimator::parse)]
    pub(crate) estimator: Estimator,
}

fn parse_detrend(s: &str) -> Result<Detrend, String> {
    match s.to_ascii_lowercase().as_str() {
        "mean" | "constant" => Ok(Detrend::Mean),
        "linear" => Ok(Detrend::Linear),
        "none" => Ok(Detrend::None),
        _ => Err(format!(
            "'{s}' is not a detrend mode; use mean, linear or none."
        )),
    }
}

fn parse_band(s: &str) -> Result<Band, String> {
    let err = || format!("'{s}' is not a band; write NAME:LOW-HIGH in Hz, e.g. mu:9-11.");
    let (name, range) = s.split_once(':').ok_or_else(err)?;
    let (lo, hi) = range.split_once('-').ok_or_else(err)?;
    let lo: f32 = lo.trim().parse().map_err(|_| err())?;
    let hi: f32 = hi.trim().parse().map_err(|_| err())?;
    if name.trim().is_empty()
        || !(lo.is_finite() && hi.is_finite() && lo >= 0.0)
        || lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less)
    {
        return Err(err());
    }
    Ok(Band::new(name.trim(), lo, hi))
}

/// Refuses extra bands whose columns would repeat a standard band's or each other's
/// (`--band alpha:8-12` would write a second set of `alpha_*` columns).
fn check_band_names(bands: &[Band]) -> Result<(), String> {
    for (i, b) in bands.iter().enumerate() {
        let name = b.name.to_ascii_lowercase();
        let standard = melodiasync::features::bands::STANDARD_BANDS
            .iter()
            .find(|s| [s.feature, s.column, s.label].contains(&name.as_str()));
        if let Some(s) = standard {
            return Err(format!(
                "--band {}: '{}' is the standard {} band ({}-{} Hz), already in every file; \
                 give the extra band another name.",
                b.name, b.name, s.feature, s.low, s.high
            ));
        }
        if bands[..i]
            .iter()
            .any(|o| o.name.eq_ignore_ascii_case(&b.name))
        {
            return Err(format!(
                "--band {}: two extra bands are named '{}'; give each its own name.",
                b.name, b.name
            ));
        }
    }
    Ok(())
}

/// The extractor configuration `args` ask for, checked against the recording.
fn extractor_config(args: &FeaturesArgs, rec: &Recording) -> Result<ExtractorConfig, String> {
    let mut cfg = ExtractorConfig::new(rec.sample_rate, rec.labels.clone());
    cfg.window_s = args.window;
    cfg.hop_s = args.hop;
    cfg.segment_s = args.segment;
    cfg.overlap = args.overlap;
    cfg.detrend = args.detrend;
    cfg.extra_bands = args.bands.clone();
    cfg.quality.remove_line = args.remove_line;
    cfg.estimator = args.estimator;
    // The reader kept only the signals asked for: all of them form the montage.
    if !args.asymmetry.is_empty() {
        let pair = resolve_channels(&rec.labels, &args.asymmetry)?;
        let [l, r] = pair[..] else {
            return Err("--asymmetry takes exactly two channels: LEFT,RIGHT (e.g. F3,F4).".into());
        };
        cfg.asymmetry_pair = Some((l, r));
    }
    Ok(cfg)
}

/// CSV header for frames of `ex`.
fn frame_header(ex: &Extractor, labels: &[String], per_channel: bool) -> String {
    let mut h = String::from("time,seq,valid,quality,excluded");
    for b in ex.band_names() {
        h += &format!(",{b}_abs,{b}_rel,{b}_db");
    }
    h += ",theta_beta,alpha_theta,engagement,asymmetry,asymmetry_valid,peak_alpha_hz,peak_alpha_confidence";
    if per_channel {
        for l in labels {
            for b in ex.band_names() {
                h += &format!(",{l}_{b}_abs");
            }
        }
    }
    h
}

/// One CSV row for `frame`.
fn frame_row(ex: &Extractor, f: &FeatureFrame, labels: &[String], per_channel: bool) -> String {
    use std::fmt::Write;
    let excluded: Vec<&str> = (0..labels.len())
        .filter(|&c| !ex.channel_results().flags[c].is_clean())
        .map(|c| labels[c].as_str())
        .collect();
    let mut row = format!(
        "{:.6},{},{},{:.4},{}",
        f.time,
        f.seq,
        u8::from(f.valid),
        f.quality,
        excluded.join(";")
    );
    for i in 0..f.band_count {
        for id in [FeatureId::Abs(i), FeatureId::Rel(i), FeatureId::Db(i)] {
            let _ = write!(row, ",{}", id.of(f));
        }
    }
    let _ = write!(
        row,
        ",{},{},{},{},{},{},{}",
        f.theta_beta,
        f.alpha_theta,
        f.engagement,
        f.asymmetry,
        u8::from(f.asymmetry_valid),
        f.peak_alpha_or_nan(),
        f.peak_alpha_confidence
    );
    if per_channel {
        for v in &ex.channel_results().abs {
            let _ = write!(row, ",{v}");
        }
    }
    row
}

/// Runs `features`.
pub(crate) fn run(args: &FeaturesArgs) -> Result<(), String> {
    check_band_names(&args.bands)?;
    let options = ReadOptions {
        rate: args.rate,
        channels: args.channels.clone(),
        stream: args.stream.clone(),
    };
    let rec = recording::open(&args.recording, &options)?;
    for note in rec.notes() {
        eprintln!("{note}");
    }
    let cfg = extractor_config(args, &rec)?;
    let mut ex = Extractor::new(cfg)?;
    let out = args
        .out
        .clone()
        .ok_or("Say where the frames go with --out FILE.csv.")?;
    let mut text = frame_header(&ex, &rec.labels, args.per_channel);
    text.push('\n');
    let mut tally = melodiasync::features::quality::QualityTally::default();
    let mut breaks = rec.segments.iter().skip(1).map(|s| s.start).peekable();
    for i in 0..rec.frames() {
        // Every segment starts afresh, short losses and clock resets included (as playback).
        if breaks.next_if_eq(&i).is_some() {
            ex.reset();
        }
        if let Some(f) = ex.push(rec.frame(i), rec.time(i)) {
            text += &frame_row(&ex, &f, &rec.labels, args.per_channel);
            text.push('\n');
            tally.push(f.valid, &ex.channel_results().flags);
        }
    }
    if tally.frames == 0 {
        return Err(format!(
            "'{}' is shorter than one {} s window; no frame was computed.",
            args.recording.display(),
            args.window
        ));
    }
    melodiasync::files::write_atomically(&out, text.as_bytes())?;
    println!(
        "wrote {}: {} frames ({} valid) from {} channel{} at {} Hz",
        out.display(),
        tally.frames,
        tally.valid,
        rec.channels(),
        if rec.channels() == 1 { "" } else { "s" },
        rec.sample_rate
    );
    if let Some(why) = tally.unusable() {
        eprintln!("warning: {why}.");
    }
    Ok(())
}
