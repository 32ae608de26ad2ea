//! Steady-state allocation counts, measured with a counting global allocator: the feature
//! extractor and the audio engine must not allocate once constructed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use melodiasync::eeg::sim::SimConfig;
use melodiasync::eeg::worker::AnalysisConfig;
use melodiasync::engine::{Engine, NoteAction, TimedNote};
use melodiasync::features::FeatureFrame;
use melodiasync::features::{Extractor, ExtractorConfig};
use melodiasync::feedback::program::ProgramKind;
use melodiasync::params::MelodiaSyncParams;
use melodiasync::render::{EegDrive, EegInput};

/// Frames of `seconds` of simulated EEG (8 channels, 256 Hz), computed before counting.
fn simulated_frames(seconds: f64) -> Vec<FeatureFrame> {
    let input = EegInput::Simulator(SimConfig::default());
    let mut drive = EegDrive::new(&input, &AnalysisConfig::default()).unwrap();
    let mut out = Vec::new();
    drive.feed_until(seconds, |f| out.push(*f));
    out
}

/// Counts every allocation and reallocation on any thread.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// One test function: the counter is global, so parallel tests would disturb each other.
#[test]
fn extractor_and_engine_do_not_allocate_in_steady_state() {
    // Extractor: 64 channels at 1 kHz with custom bands and quality checks on.
    let labels: Vec<String> = (0..64).map(|i| format!("E{i}")).collect();
    let mut cfg = ExtractorConfig::new(1000.0, labels);
    cfg.segment_s = Some(0.5);
    cfg.quality.remove_line = true;
    // The low-latency path: quadrature band filters on every sample, on top of the window.
    cfg.estimator = melodiasync::features::extractor::Estimator::Quadrature;
    cfg.extra_bands
        .push(melodiasync::features::Band::new("mu", 9.0, 11.0));
    let mut ex = Extractor::new(cfg).unwrap();
    let mut sample = vec![0.0f32; 64];
    let mut frames = 0;
    let mut feed = |ex: &mut Extractor, seconds: usize, frames: &mut usize| {
        for i in 0..seconds * 1000 {
            for (c, s) in sample.iter_mut().enumerate() {
                *s = ((i * (c + 3)) as f32 * 0.01).sin() * 20.0
                    + if c == 5 { f32::NAN } else { 0.0 };
            }
            if ex.push(&sample, i as f64 / 1000.0).is_some() {
                *frames += 1;
            }
        }
    };
    feed(&mut ex, 2, &mut frames); // warm-up: first window, lazy FFT twiddles
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    feed(&mut ex, 5, &mut frames);
    let during = ALLOCATIONS.load(Ordering::SeqCst) - before;
    assert!(frames > 150);
    assert_eq!(
        during, 0,
        "extractor allocated {during} times in steady state"
    );

    // Engine with the full feedback engine on: frames from the simulator, every program,
    // adaptive targets, chimes, notes, odd block sizes.
    let sim_frames = simulated_frames(20.0);
    let mut controls = MelodiaSyncParams::default().controls();
    controls.feedback.adaptive = true;
    let mut engine = Engine::new(48_000.0);
    let table = melodiasync::feedback::FeedbackSetup::default().compile();
    let mut l = vec![0.0f32; 4096];
    let mut r = vec![0.0f32; 4096];
    engine.render(&controls, || None, &mut l[..512], &mut r[..512]);
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for i in 0..2000usize {
        let n = 1 + (i * 997) % 4096;
        let mut ev = Some(TimedNote {
            offset: (i % n) as u32,
            action: if i % 2 == 0 {
                NoteAction::On(40 + (i % 30) as u8)
            } else {
                NoteAction::Off(40 + (i % 30) as u8)
            },
        });
        if i % 300 == 0 {
            controls.program = ProgramKind::ALL[(i / 300) % ProgramKind::ALL.len()];
        }
        if i == 1000 {
            engine.set_programs(table, &controls.feedback);
        }
        let frame = sim_frames[i % sim_frames.len()];
        let fb = engine.push_frame(&frame, &controls);
        assert!(fb.reward.is_finite());
        engine.render(&controls, || ev.take(), &mut l[..n], &mut r[..n]);
        assert!(l[..n].iter().all(|x| x.is_finite()));
    }
    assert!(engine.feedback().snapshot().frames > 100);
    let during = ALLOCATIONS.load(Ordering::SeqCst) - before;
    assert_eq!(during, 0, "engine allocated {during} times while rendering");
}
