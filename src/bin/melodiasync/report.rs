//! `melodiasync report`: a session log as pictures (PNG and SVG).

use std::path::PathBuf;

use melodiasync::report;

/// The report command's options.
#[derive(clap::Args)]
pub(crate) struct ReportArgs {
    /// The session log (CSV from `render --log` or the editor's session button).
    log: PathBuf,
    /// Where to write (default: beside the log as NAME.report.png and NAME.report.svg), a
    /// name ending in .png or .svg; the plotted series go beside it as NAME.series.csv.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Bands to draw, comma separated (delta, theta, alpha, beta, gamma, smr, high_beta).
    #[arg(long, value_delimiter = ',', default_value = "theta,alpha,beta")]
    bands: Vec<String>,
    /// Also draw the trend over the sessions in the log's folder (or --history-dir) as
    /// NAME.history.png and .svg.
    #[arg(long)]
    history: bool,
    /// The folder of session logs and summaries the history reads.
    #[arg(long)]
    history_dir: Option<PathBuf>,
    /// How many of the latest sessions the history shows.
    #[arg(long, default_value_t = 30, value_parser = crate::numbers::within(1usize, 10_000, ""))]
    last: usize,
}

/// Runs `report`.
pub(crate) fn run(args: ReportArgs) -> Result<(), String> {
    let written = report::write_report(&args.log, &args.bands, args.out.as_deref())?;
    for w in &written {
        println!("wrote {}", w.display());
    }
    if args.history || args.history_dir.is_some() {
        let dir = args.history_dir.clone().unwrap_or_else(|| {
            args.log
                .parent()
                .map(|p| p.to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| PathBuf::from("."))
        });
        let (points, problems) = report::history(&dir, args.last)?;
        for p in problems {
            eprintln!("warning: {p}");
        }
        if points.is_empty() {
            return Err(format!(
                "There are no session summaries (*.summary.json) in '{}' for a history.",
                dir.display()
            ));
        }
        for suffix in ["history.png", "history.svg"] {
            let out = report::beside(&args.log, suffix);
            report::draw_history(&points, &out)?;
            println!("wrote {} ({} sessions)", out.display(), points.len());
        }
        let out = report::beside(&args.log, "history.csv");
        report::write_history(&points, &out)?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
