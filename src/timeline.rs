//! EEG on the host's timeline: a recording or the simulator whose time 0 sits at a song
//! position (the `EEG start` parameter), played by the host transport on the audio clock.
//!
//! While the transport plays, the plugin feeds this input at the synth's control points in
//! `process()` ([`crate::engine::Engine::render_with_eeg`]), exactly as the CLI's `render`
//! feeds its input: a bounce faster than real time keeps the EEG in step with the music, and
//! playing from bar 17 starts the EEG where bar 17 falls in it. When the transport stops (or
//! the host gives no position) the worker plays the input on the wall clock instead.
//!
//! Built off the audio thread (the worker reads the recording and builds the analysis), handed
//! over in a queue; a replaced one goes back to the worker to be dropped there.

use crate::eeg::analysis::AnalysisConfig;
use crate::eeg::SourceSpec;
use crate::engine::AudioClockEeg;
use crate::features::FeatureFrame;
use crate::queue::{queue, QueueReceiver, QueueSender};
use crate::render::{EegDrive, EegInput};

/// What the worker sends the audio thread: a new timeline input, or none (a live source).
pub type TimelineUpdate = Option<Box<TimelineEeg>>;

/// The audio thread's ends: new inputs in, replaced ones back out (dropped by the worker).
pub struct TimelineLink {
    /// New inputs.
    pub incoming: QueueReceiver<TimelineUpdate>,
    /// Replaced inputs, to be dropped off the audio thread.
    pub retired: QueueSender<Box<TimelineEeg>>,
}

/// The worker's ends.
pub struct TimelineFeed {
    /// New inputs.
    outgoing: QueueSender<TimelineUpdate>,
    /// Replaced inputs, dropped here.
    retired: QueueReceiver<Box<TimelineEeg>>,
}

/// A connected pair.
pub fn timeline_channel() -> (TimelineFeed, TimelineLink) {
    let (out_tx, out_rx) = queue(4);
    let (ret_tx, ret_rx) = queue(16);
    (
        TimelineFeed {
            outgoing: out_tx,
            retired: ret_rx,
        },
        TimelineLink {
            incoming: out_rx,
            retired: ret_tx,
        },
    )
}

impl TimelineFeed {
    /// Builds the timeline input for `spec` (none for a live stream, or when the input
    /// cannot be opened: the worker's own status says why) and sends it.
    pub fn send(&self, spec: &SourceSpec, analysis: &AnalysisConfig) {
        let drive =
            EegInput::from_spec(spec).and_then(|input| EegDrive::new(&input, analysis).ok());
        self.outgoing
            .push(drive.map(|d| Box::new(TimelineEeg::new(d))));
    }

    /// Drops what the audio thread gave back.
    pub fn collect(&self) {
        while self.retired.pop().is_some() {}
    }
}

impl TimelineLink {
    /// Takes the next input the worker sent, if any, giving the one it replaces back
    /// (never dropped here: the audio thread does not free memory). Real-time safe.
    pub fn update(&self, current: &mut Option<Box<TimelineEeg>>) {
        // Only when the one replaced can go back.
        if self.retired.is_full() {
            return;
        }
        // One per block: the worker sends one per source or analysis change.
        if let Some(next) = self.incoming.pop() {
            if let Some(old) = std::mem::replace(current, next) {
                self.retired.push(old);
            }
        }
    }
}

/// The timeline's input and where it is.
pub struct TimelineEeg {
    /// The input and its analysis.
    drive: EegDrive,
    /// Input time at the current block's start, s.
    block_start: f64,
    /// Audio sample rate, Hz.
    sample_rate: f64,
    /// Whether it played in the last block (otherwise the next block seeks first).
    running: bool,
}

impl TimelineEeg {
    /// Wraps a drive built for the source (see [`EegDrive::new`]).
    pub fn new(drive: EegDrive) -> Self {
        Self {
            drive,
            block_start: 0.0,
            sample_rate: 48_000.0,
            running: false,
        }
    }

    /// At the start of a block while the transport plays: `input_time` is the song position
    /// less the clip's start, s (negative before it: no EEG yet). After a stop, a jump
    /// (`jumped`) or a new input it seeks there first ([`EegDrive::seek`]). Real-time safe.
    pub fn start_block(&mut self, input_time: f64, sample_rate: f32, jumped: bool) {
        if jumped || !self.running {
            self.drive.seek(input_time);
            self.running = true;
        }
        self.block_start = input_time;
        self.sample_rate = sample_rate as f64;
    }

    /// The transport stopped: the next start seeks.
    pub fn stop(&mut self) {
        self.running = false;
    }
}

impl AudioClockEeg for TimelineEeg {
    fn feed(&mut self, offset: usize, frame: &mut dyn FnMut(&FeatureFrame, f64)) {
        let until = self.block_start + offset as f64 / self.sample_rate;
        self.drive.feed_until(until, |f| frame(f, until));
    }
}
