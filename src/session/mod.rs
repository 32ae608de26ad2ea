//! The session thread: everything the feedback engine computed leaves the audio thread as a
//! [`FeedbackRecord`] and is handled here, where blocking is allowed: the LSL outlet
//! `MelodiaSync-Features` (so LabRecorder records it beside the raw EEG), the per-frame CSV
//! log, and the end-of-session summary.

mod carry;
mod log;
mod outlet;
mod record;
mod summary;

use std::path::PathBuf;
use std::thread::JoinHandle;

use crate::bridge::{FeedbackRecord, QueueReceiver, SessionCommand, SessionLogStatus, StopFlag};
pub use carry::{CarriedBaseline, DailyBaseline};
pub use log::CsvLog;
pub use outlet::{FeaturesOutlet, OUTLET_NAME, OUTLET_TYPE};
pub use record::{record_values, LABELS};
pub use summary::{BandTrend, HeartSummary, SessionSummary, SummaryBuilder, Trend, GAP_S};

/// What the session thread does with records.
#[derive(Default)]
pub struct SessionOptions {
    /// Start/stop commands for the log (the editor's session button).
    pub commands: Option<QueueReceiver<SessionCommand>>,
    /// Where the log's state is reported.
    pub log_status: Option<std::sync::Arc<std::sync::Mutex<SessionLogStatus>>>,
    /// Publish the LSL features outlet with this source id.
    pub outlet_source_id: Option<String>,
    /// When given, the outlet exists only while this returns true (the plugin's `lslout`).
    pub outlet_switch: Option<std::sync::Arc<dyn Fn() -> bool + Send + Sync>>,
    /// Write the per-frame CSV log here.
    pub log: Option<PathBuf>,
    /// Whether frame times are on the local LSL clock (live sources) and can stamp the outlet.
    pub live_clock: bool,
    /// A guided session's stage names (its log's `stage` column and per-stage summary).
    pub stage_names: Vec<String>,
    /// Called with each baseline stage as it ends (the daily baseline: the plugin makes it
    /// the project's calibration, the CLI saves it with `--save-setup`).
    pub carry: Option<CarryBaseline>,
}

/// What receives a finished baseline stage (see [`SessionOptions::carry`]).
/// It gets the baseline, or the sentence saying why the stage gave none.
pub type CarryBaseline = Box<dyn FnMut(Result<&CarriedBaseline, &str>) + Send>;

/// What a finished session hands back: the summary and where the log went.
pub type SessionResult = Result<(SessionSummary, Option<PathBuf>), String>;

/// The running session thread.
pub struct SessionThread {
    /// The thread; returns the summary and any error.
    handle: Option<JoinHandle<SessionResult>>,
    /// Stop request.
    stop: StopFlag,
}

impl SessionThread {
    /// Starts the thread reading `records`.
    pub fn spawn(records: QueueReceiver<FeedbackRecord>, opts: SessionOptions) -> Self {
        let stop = StopFlag::default();
        let thread_stop = stop.clone();
        let handle = std::thread::Builder::new()
            .name("melodiasync-session".into())
            .spawn(move || run(records, opts, thread_stop))
            .expect("the OS refused to start the session thread");
        Self {
            handle: Some(handle),
            stop,
        }
    }

    /// Drains what is left, stops, and returns the summary and the log path.
    pub fn finish(mut self) -> SessionResult {
        self.stop.stop();
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err("The session thread failed.".into()),
        }
    }
}

impl Drop for SessionThread {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The session loop: drain, send, log; every 10 ms while records flow, 50 ms while idle.
fn run(
    records: QueueReceiver<FeedbackRecord>,
    mut opts: SessionOptions,
    stop: StopFlag,
) -> SessionResult {
    let wanted =
        || opts.outlet_source_id.is_some() && opts.outlet_switch.as_ref().is_none_or(|on| on());
    let mut outlet: Option<FeaturesOutlet> = None;
    let mut outlet_error_shown = false;
    let mut log = match &opts.log {
        Some(p) => Some(CsvLog::create(p, &opts.stage_names)?),
        None => None,
    };
    let mut stage_names = opts.stage_names.clone();
    let mut summary = SummaryBuilder::guided(stage_names.clone());
    let mut daily = DailyBaseline::default();
    // Whether the running log is a guided session's (closed by itself at its completion).
    let mut guided_log = false;
    // The outlet opens once there are features to send: an instance still waiting for EEG
    // costs no outlet (its threads, its answers to every stream search on the network).
    let mut has_records = false;
    loop {
        // Read the flag before draining: records pushed before `finish` are all handled.
        let stopping = stop.is_stopped();
        has_records = has_records || !records.is_empty();
        match (has_records && wanted(), outlet.is_some()) {
            (true, false) => {
                match FeaturesOutlet::open(opts.outlet_source_id.as_deref().unwrap_or("")) {
                    Ok(o) => outlet = Some(o),
                    // No network for LSL: the session goes on without the outlet.
                    Err(e) if !outlet_error_shown => {
                        eprintln!("{e}");
                        outlet_error_shown = true;
                    }
                    Err(_) => {}
                }
            }
            (false, true) => outlet = None,
            _ => {}
        }
        while let Some(cmd) = opts.commands.as_ref().and_then(QueueReceiver::pop) {
            let mut saved = None;
            let guided = matches!(cmd, SessionCommand::StartGuided(_));
            let message = match cmd {
                SessionCommand::StartGuided(_) if log.is_some() => {
                    "The guided session is logged with the session already recording.".into()
                }
                SessionCommand::Start(path) | SessionCommand::StartGuided(path) => {
                    let finished = finish_session(log.take(), &summary, records.overflowed());
                    summary = SummaryBuilder::guided(stage_names.clone());
                    saved = finished.as_ref().and_then(|f| f.1.clone());
                    guided_log = guided;
                    match CsvLog::create(&path, &stage_names) {
                        Ok(l) => {
                            log = Some(l);
                            finished.map_or(
                                format!("Recording the session to '{}'.", path.display()),
                                |m| m.0,
                            )
                        }
                        Err(e) => e,
                    }
                }
                SessionCommand::StopGuided if !guided_log => continue,
                SessionCommand::Stop | SessionCommand::StopGuided => {
                    guided_log = false;
                    match finish_session(log.take(), &summary, records.overflowed()) {
                        Some((message, path)) => {
                            saved = path;
                            message
                        }
                        None => "No session was being recorded.".into(),
                    }
                }
                SessionCommand::Stages(names) => {
                    stage_names = names;
                    summary.set_stage_names(stage_names.clone());
                    if let Some(l) = log.as_mut() {
                        l.set_stage_names(&stage_names);
                    }
                    continue;
                }
            };
            report_log(opts.log_status.as_deref(), &log, message, saved);
        }
        let mut handled = 0;
        while let Some(r) = records.pop() {
            handled += 1;
            // A run (the CLI's render) is summarised whole; the plugin, whose sessions start
            // and stop by command, keeps a summary only while one is recorded.
            if log.is_some() || opts.commands.is_none() {
                summary.push(&r);
            }
            if let Some(o) = &outlet {
                // A failed send loses one sample of a side stream; the session continues.
                let _ = o.send(&r, opts.live_clock.then_some(r.frame.time));
            }
            if let Some(l) = log.as_mut() {
                l.write(&r)?;
            }
            if guided_log && r.guide.complete {
                guided_log = false;
                if let Some((message, saved)) =
                    finish_session(log.take(), &summary, records.overflowed())
                {
                    report_log(opts.log_status.as_deref(), &log, message, saved);
                }
            }
            if let Some(result) = daily.push(&r) {
                if let Some(carry) = opts.carry.as_mut() {
                    carry(result.as_ref().map_err(String::as_str));
                }
                let message = match &result {
                    Ok(c) => c.describe(stage_names.get(c.stage).map_or("", String::as_str)),
                    Err(e) => format!("The baseline {e}."),
                };
                if let Some(Ok(mut st)) = opts.log_status.as_ref().map(|s| s.lock()) {
                    st.message = message;
                }
            }
        }
        if stopping {
            break;
        }
        // Every 10 ms while frames flow (the outlet's latency), 50 ms while idle.
        std::thread::sleep(std::time::Duration::from_millis(if handled > 0 {
            10
        } else {
            50
        }));
    }
    // However the thread ends (a render's end, the plugin unloading), a running log is
    // closed with its summary beside it.
    let path = log
        .map(|l| close_log(l, &summary, records.overflowed()))
        .transpose()?;
    Ok((summary.finish(records.overflowed()), path))
}

/// Tells the editor where the log stands: what is being recorded, `message`, and the log
/// just saved (if one was).
fn report_log(
    status: Option<&std::sync::Mutex<SessionLogStatus>>,
    log: &Option<CsvLog>,
    message: String,
    saved: Option<PathBuf>,
) {
    if let Some(Ok(mut st)) = status.map(|s| s.lock()) {
        st.recording = log.as_ref().map(|l| l.path().to_path_buf());
        st.message = message;
        if saved.is_some() {
            st.last_saved = saved;
        }
    }
}

/// Finishes `log` (temporary file renamed) and writes the session summary beside it as
/// `NAME.summary.json`; returns the log's path.
fn close_log(log: CsvLog, summary: &SummaryBuilder, dropped: u64) -> Result<PathBuf, String> {
    let path = log.finish()?;
    let json = serde_json::to_string_pretty(&summary.finish(dropped))
        .map_err(|e| format!("Cannot format the session summary: {e}."))?;
    crate::files::write_atomically(&summary_path(&path), json.as_bytes())?;
    Ok(path)
}

/// The file name of a session log started at local time `at`, for the guided session
/// `guided` if one runs: `2026-12-02_14-05-09.csv`, `2026-12-02_14-05-09_burnout-recovery.csv`.
/// Names sort in time order, which is how the report's history orders sessions.
pub fn log_file_name(at: chrono::NaiveDateTime, guided: Option<&str>) -> String {
    let mut name = at.format("%Y-%m-%d_%H-%M-%S").to_string();
    if let Some(g) = guided.filter(|g| g.chars().any(char::is_alphanumeric)) {
        name.push('_');
        name.push_str(&crate::preset::slug(g));
    }
    name + ".csv"
}

/// A new session log's path in `dir`, named for now (local time) and `guided`.
pub fn new_log_path(dir: &std::path::Path, guided: Option<&str>) -> PathBuf {
    dir.join(log_file_name(chrono::Local::now().naive_local(), guided))
}

/// Where the summary of the log at `log` goes.
pub fn summary_path(log: &std::path::Path) -> PathBuf {
    log.with_extension("summary.json")
}

/// Closes a running log and writes its summary beside it; returns a sentence and the log's
/// path when it was saved, or `None` when there was no log.
fn finish_session(
    log: Option<CsvLog>,
    summary: &SummaryBuilder,
    dropped: u64,
) -> Option<(String, Option<PathBuf>)> {
    Some(match close_log(log?, summary, dropped) {
        Ok(path) => (
            format!(
                "Session saved: '{}' and '{}'.",
                path.display(),
                summary_path(&path).display()
            ),
            Some(path),
        ),
        Err(e) => (e, None),
    })
}
