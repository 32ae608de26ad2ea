//! Recordings as devices and recorders really write them (`tests/data/recordings/`, see its
//! README): each file gives its right behaviour, and each kind of fault is handled as a kind
//! (generated variants beside the files).
//!
//! Every EEG signal in the files is a 10 Hz sine of 20 µV plus white noise of 2 µV std
//! unless the README says otherwise: alpha power about 200 µV² (scipy 199.35) and relative
//! alpha about 0.98 over a 1 s window.

use std::path::PathBuf;

use melodiasync::eeg::playback::Playback;
use melodiasync::eeg::recording::{open, ReadOptions, Recording};
use melodiasync::eeg::source::Generator;
use melodiasync::features::bands::{ALPHA, THETA};
use melodiasync::features::{Extractor, ExtractorConfig, FeatureFrame};

fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/recordings")
        .join(name)
}

fn read(name: &str) -> Recording {
    open(&case(name), &ReadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Welch frames (1 s window, 1/32 s hop) over the whole recording, at its frame times.
fn frames(rec: &Recording) -> Vec<FeatureFrame> {
    let mut ex = Extractor::new(ExtractorConfig::new(rec.sample_rate, rec.labels.clone())).unwrap();
    (0..rec.frames())
        .filter_map(|i| ex.push(rec.frame(i), rec.time(i)))
        .collect()
}

fn rel(f: &FeatureFrame, band: usize) -> f32 {
    f.bands[band].rel
}

/// Mean absolute alpha over the frames.
fn mean_alpha(frames: &[FeatureFrame]) -> f32 {
    frames.iter().map(|f| f.bands[ALPHA].abs).sum::<f32>() / frames.len() as f32
}

fn assert_alpha(name: &str, rec: &Recording) {
    let f = frames(rec);
    let a = mean_alpha(&f);
    assert!((185.0..215.0).contains(&a), "{name}: alpha {a} µV²");
    assert!(
        f.iter().all(|f| rel(f, ALPHA) > 0.9),
        "{name}: a frame without alpha"
    );
}

// Kind 1: wrong data with exit code 0.

#[test]
fn a_mixed_rate_edf_analyses_its_eeg_not_the_auxiliary_signals() {
    let rec = read("10c-edf-eeg256-aux128.edf");
    assert_eq!(rec.labels, ["EEG C3-A2", "EEG C4-A1"]);
    assert_eq!(rec.sample_rate, 256.0);
    for left_out in [
        "Pleth (pulse)",
        "Resp thorax (breathing)",
        "EMG chin (muscle)",
    ] {
        assert!(rec.summary.contains(left_out), "{}", rec.summary);
    }
    assert_alpha("10c", &rec);
    // Signals by label, any kind, when they share a rate; mixed rates are refused.
    let by_label = |c: &[&str]| {
        open(
            &case("10c-edf-eeg256-aux128.edf"),
            &ReadOptions {
                channels: c.iter().map(|s| s.to_string()).collect(),
                ..ReadOptions::default()
            },
        )
    };
    let aux = by_label(&["emg chin", "Pleth"]).unwrap();
    assert_eq!(
        (aux.labels.clone(), aux.sample_rate),
        (vec!["EMG chin".into(), "Pleth".into()], 128.0)
    );
    let e = by_label(&["EEG C3-A2", "Pleth"]).unwrap_err();
    assert!(
        e.contains("different rates") && e.contains("256 Hz") && e.contains("128 Hz"),
        "{e}"
    );
}

#[test]
fn a_declared_rate_the_timestamps_contradict_gives_way_to_the_measured_one() {
    let rec = read("20-xdf-nominal-vs-effective-rate.xdf");
    assert_eq!(rec.sample_rate, 125.0);
    assert!(
        rec.warnings
            .iter()
            .any(|w| w.contains("declares 250 Hz but its timestamps show 125 Hz")),
        "{:?}",
        rec.warnings
    );
    assert_alpha("20", &rec);
}

#[test]
fn millisecond_time_columns_give_the_rate_from_the_span() {
    let rec = read("16-csv-ms-timestamps-256hz.csv");
    assert_eq!(rec.sample_rate, 256.0);
    assert_eq!(rec.time(0), 12.0);
    let f = frames(&rec);
    let paf = f.iter().map(|f| f.peak_alpha_hz).sum::<f32>() / f.len() as f32;
    assert!((paf - 10.0).abs() < 0.02, "peak alpha {paf} Hz");
    assert_alpha("16", &rec);
}

#[test]
fn a_rate_given_against_the_time_column_is_used_and_the_contradiction_said() {
    let opts = ReadOptions {
        rate: Some(250.0),
        ..ReadOptions::default()
    };
    let rec = open(&case("16-csv-ms-timestamps-256hz.csv"), &opts).unwrap();
    assert_eq!(rec.sample_rate, 250.0);
    assert!(
        rec.warnings
            .iter()
            .any(|w| w.contains("the time column shows 256 Hz, but 250 Hz was given")),
        "{:?}",
        rec.warnings
    );
    // Where they agree, nothing is said.
    let opts = ReadOptions {
        rate: Some(256.0),
        ..ReadOptions::default()
    };
    let rec = open(&case("16-csv-ms-timestamps-256hz.csv"), &opts).unwrap();
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
}

#[test]
fn options_for_another_format_are_said_to_be_ignored_and_a_folder_is_named() {
    let opts = ReadOptions {
        rate: Some(512.0),
        stream: Some("EEG".into()),
        ..ReadOptions::default()
    };
    let rec = open(&case("05-edf-nrecords-minus1.edf"), &opts).unwrap();
    assert_eq!(rec.sample_rate, 256.0, "the file's own rate");
    for words in ["only XDF files hold streams", "this file states its own"] {
        assert!(
            rec.warnings.iter().any(|w| w.contains(words)),
            "{words}: {:?}",
            rec.warnings
        );
    }
    let e = open(&case(""), &ReadOptions::default()).unwrap_err();
    assert!(e.contains("is a folder"), "{e}");
}

#[test]
fn a_byte_order_mark_never_becomes_a_channel() {
    let rec = read("13-csv-utf8-bom.csv");
    assert_eq!(rec.labels, ["O1", "O2"]);
    assert_eq!(rec.sample_rate, 256.0);
    assert_alpha("13", &rec);
    // With an explicit rate too (where the BOM once made "\u{feff}time" a third channel).
    let with_rate = open(
        &case("13-csv-utf8-bom.csv"),
        &ReadOptions::with_rate(Some(256.0)),
    )
    .unwrap();
    assert_eq!(with_rate.labels, ["O1", "O2"]);
    // A preset saved with a BOM loads.
    let bytes = std::fs::read(case("21-preset-utf8-bom.json")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    melodiasync::preset::parse(&bytes, "21-preset-utf8-bom.json").unwrap();
}

// Kind 2: non-determinism.

#[test]
fn two_eeg_streams_give_the_same_documented_choice_every_time() {
    let first = read("28-xdf-two-eeg-streams.xdf");
    assert!(
        first.summary.starts_with("stream 'EEG114'"),
        "{}",
        first.summary
    );
    assert!(first.summary.contains("'EEG115'"), "{}", first.summary);
    for _ in 0..20 {
        assert_eq!(read("28-xdf-two-eeg-streams.xdf"), first);
    }
    let f = frames(&first);
    assert!(f.iter().all(|f| rel(f, THETA) > 0.9), "EEG114 holds theta");
    let picked = open(
        &case("28-xdf-two-eeg-streams.xdf"),
        &ReadOptions {
            stream: Some("EEG115".into()),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!((picked.channels(), picked.sample_rate), (4, 256.0));
    assert_alpha("28/EEG115", &picked);
    let e = open(
        &case("28-xdf-two-eeg-streams.xdf"),
        &ReadOptions {
            stream: Some("EEG999".into()),
            ..ReadOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        e.contains("no stream 'EEG999'") && e.contains("EEG115"),
        "{e}"
    );
}

// Kind 3: silent data loss.

#[test]
fn a_damaged_xdf_reads_on_from_the_next_boundary_chunk() {
    let rec = read("17f-xdf-zeros-midfile-then-boundary.xdf");
    assert_eq!(rec.frames(), 2560);
    assert!(
        rec.warnings.iter().any(|w| w.contains("damaged bytes")),
        "{:?}",
        rec.warnings
    );
    assert_eq!(rec.segments.len(), 1, "no data is missing");
    assert_alpha("17f", &rec);
}

#[test]
fn an_xdf_that_loses_a_stretch_says_how_much_and_where() {
    // 17f with 3 kB of samples before its zeros damaged too: those samples are gone up to
    // the boundary chunk, and the timestamps say how much.
    let bytes = std::fs::read(case("17f-xdf-zeros-midfile-then-boundary.xdf")).unwrap();
    let zeros = bytes
        .windows(200)
        .position(|w| w.iter().all(|&b| b == 0))
        .unwrap();
    let mut bad = bytes.clone();
    for b in bad[zeros - 3000..zeros].iter_mut() {
        *b = 0;
    }
    let p = std::env::temp_dir().join(format!("ms-lost-{}.xdf", std::process::id()));
    std::fs::write(&p, &bad).unwrap();
    let rec = open(&p, &ReadOptions::default()).unwrap();
    std::fs::remove_file(&p).ok();
    let lost = 2560 - rec.frames();
    assert!(lost > 0, "3 kB of samples are gone");
    let gap = rec
        .warnings
        .iter()
        .find(|w| w.contains("lost at"))
        .unwrap_or_else(|| panic!("{:?}", rec.warnings));
    let said: f64 = gap
        .split("; ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (said - lost as f64 / 256.0).abs() < 0.01,
        "{gap} vs {lost} samples"
    );
    // A short loss does not pass for a slower rate.
    assert_eq!(rec.sample_rate, 256.0, "{:?}", rec.warnings);
    // The loss is shorter than the extractor's 0.5 s discontinuity, yet it starts a segment,
    // and played back (as render and the plugin do) no analysis window spans it.
    assert_eq!(rec.segments.len(), 2, "{:?}", rec.segments);
    let cut = rec.segments[1].start;
    let mut play = Playback::new(std::sync::Arc::new(rec.clone()), false);
    let mut ex = Extractor::new(ExtractorConfig::new(rec.sample_rate, rec.labels.clone())).unwrap();
    let mut buf = vec![0.0; rec.channels()];
    let (mut i, mut after) = (0, 0);
    while let Some(t) = play.next(&mut buf) {
        if let Some(f) = ex.push(&buf, t) {
            // A frame after the break holds a whole window of samples from after it.
            if i >= cut {
                assert!(i + 1 - cut >= 256, "frame {} s spans the break", f.time);
                after += 1;
            }
        }
        i += 1;
    }
    assert!(after > 100, "frames resume after the break ({after})");
}

#[test]
fn an_edf_plus_d_file_keeps_its_record_times_and_no_window_spans_the_gap() {
    let rec = read("01-edfplus-discontinuous.edf");
    assert_eq!(rec.segments.len(), 2);
    assert_eq!(
        (rec.segments[1].start, rec.segments[1].time),
        (3 * 256, 12.0)
    );
    assert!(
        rec.warnings
            .iter()
            .any(|w| w.contains("9.00 s missing in 1 gap")),
        "{:?}",
        rec.warnings
    );
    let f = frames(&rec);
    assert!(!f.is_empty());
    for fr in &f {
        let (a, t) = (rel(fr, ALPHA), rel(fr, THETA));
        assert!(
            (a > 0.9) != (t > 0.9),
            "mixed frame at {} s: alpha {a}, theta {t}",
            fr.time
        );
        // Before the gap alpha, after it theta, at the record times.
        assert_eq!(a > 0.9, fr.time < 4.0, "frame at {} s", fr.time);
    }
    assert!(
        f.iter().any(|fr| fr.time >= 14.9),
        "frames reach the last record (t = 15 s)"
    );
}

#[test]
fn a_clock_reset_keeps_recording_order_and_warns() {
    let rec = read("19-xdf-clock-reset.xdf");
    assert_eq!(rec.frames(), 2560);
    assert!(
        rec.warnings.iter().any(|w| w.contains("clock jumps back")),
        "{:?}",
        rec.warnings
    );
    let f = frames(&rec);
    let half = f.iter().position(|fr| rel(fr, THETA) > 0.9).unwrap();
    assert!(
        f[..half].iter().all(|fr| rel(fr, ALPHA) > 0.9),
        "alpha first"
    );
    assert!(
        f[half..].iter().all(|fr| rel(fr, THETA) > 0.9),
        "then theta, never mixed"
    );
}

// Kind 4: good files refused over fields nobody uses.

#[test]
fn odd_but_readable_edf_headers_are_read_with_a_warning_where_data_is_affected() {
    let latin1 = read("09-edf-latin1-header.edf");
    assert!(latin1.warnings.is_empty(), "{:?}", latin1.warnings);
    assert_alpha("09", &latin1);
    let subfields = read("25a-edfplus-incomplete-subfields.edf");
    assert_alpha("25a", &subfields);
    let minus1 = read("05-edf-nrecords-minus1.edf");
    assert_eq!(minus1.frames(), 10 * 256);
    assert!(minus1.warnings[0].contains("does not give the number of records"));
    assert_alpha("05", &minus1);
    let truncated = read("06-edf-truncated.edf");
    assert_eq!(truncated.frames(), 7 * 256);
    assert!(
        truncated.warnings[0].contains("7 of the 10 records"),
        "{:?}",
        truncated.warnings
    );
    assert_alpha("06", &truncated);
}

#[test]
fn edf_header_text_padding_and_alignment_never_matter() {
    // 05 rewritten: NUL-padded labels and units, right-aligned numbers, Latin-1 "µV".
    let mut b = std::fs::read(case("05-edf-nrecords-minus1.edf")).unwrap();
    let ns = 4;
    let field = |b: &mut Vec<u8>, at: usize, w: usize, text: &[u8], right: bool| {
        let mut f = vec![b' '; w];
        let at_text = if right { w - text.len() } else { 0 };
        f[at_text..at_text + text.len()].copy_from_slice(text);
        b[at..at + w].copy_from_slice(&f);
    };
    field(&mut b, 236, 8, b"10", true);
    field(&mut b, 252, 4, b"4", true);
    for i in 0..ns {
        // Labels padded with NUL.
        let at = 256 + i * 16;
        let label = std::str::from_utf8(&b[at..at + 16])
            .unwrap()
            .trim()
            .to_string();
        let mut f = label.into_bytes();
        f.resize(16, 0);
        b[at..at + 16].copy_from_slice(&f);
        // Unit "µV" in Latin-1.
        field(&mut b, 256 + ns * 96 + i * 8, 8, b"\xB5V", false);
    }
    let p = std::env::temp_dir().join(format!("ms-pad-{}.edf", std::process::id()));
    std::fs::write(&p, &b).unwrap();
    let rec = open(&p, &ReadOptions::default()).unwrap();
    std::fs::remove_file(&p).ok();
    assert_eq!(rec.labels, ["O1", "O2", "Pz", "Cz"]);
    assert_eq!(rec.frames(), 10 * 256);
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    assert_eq!(rec.samples, read("05-edf-nrecords-minus1.edf").samples);
}

// Kind 5: errors a user can act on.

#[test]
fn damaged_files_get_one_plain_sentence() {
    let dir = std::env::temp_dir().join(format!("ms-damaged-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "01-edfplus-discontinuous.edf",
        "10c-edf-eeg256-aux128.edf",
        "13-csv-utf8-bom.csv",
        "11-openbci-gui-raw.txt",
        "20-xdf-nominal-vs-effective-rate.xdf",
        "28-xdf-two-eeg-streams.xdf",
    ] {
        let bytes = std::fs::read(case(name)).unwrap();
        for cut in [
            0,
            3,
            40,
            255,
            300,
            700,
            1500,
            bytes.len() / 3,
            bytes.len() - 7,
        ] {
            let p = dir.join(name);
            std::fs::write(&p, &bytes[..cut.min(bytes.len())]).unwrap();
            match open(&p, &ReadOptions::default()) {
                Ok(rec) => assert!(rec.frames() > 0, "{name} cut at {cut}"),
                Err(e) => {
                    assert!(e.contains(name) && e.ends_with('.'), "{name} at {cut}: {e}");
                    for internal in ["Error {", "kind:", "InvalidASCII", "Err(", "\n"] {
                        assert!(!e.contains(internal), "{name} at {cut}: {e}");
                    }
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn common_exports_are_read() {
    let rec = read("11-openbci-gui-raw.txt");
    assert_eq!(rec.sample_rate, 250.0);
    assert_eq!(rec.channels(), 8);
    assert!(rec.labels.iter().all(|l| l.starts_with("EXG")));
    assert!(
        rec.summary.starts_with("OpenBCI GUI export"),
        "{}",
        rec.summary
    );
    assert_alpha("11", &rec);
}

/// A minimal XDF writer for generated variants: one float32 stream, every sample stamped.
fn xdf_bytes(
    name: &str,
    stream_type: &str,
    nominal: f64,
    labels: &[&str],
    frames: &[(f64, Vec<f32>)],
) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, tag: u16, content: &[u8]) {
        out.push(4);
        out.extend(((content.len() + 2) as u32).to_le_bytes());
        out.extend(tag.to_le_bytes());
        out.extend(content);
    }
    let mut out = b"XDF:".to_vec();
    chunk(
        &mut out,
        1,
        b"<?xml version=\"1.0\"?><info><version>1.0</version></info>",
    );
    let channels: String = labels
        .iter()
        .map(|l| format!("<channel><label>{l}</label><unit>microvolts</unit></channel>"))
        .collect();
    let header = format!(
        "<?xml version=\"1.0\"?><info><name>{name}</name><type>{stream_type}</type>\
         <channel_count>{}</channel_count><nominal_srate>{nominal}</nominal_srate>\
         <channel_format>float32</channel_format><source_id>{name}-src</source_id>\
         <desc><channels>{channels}</channels></desc></info>",
        labels.len()
    );
    let mut content = 1u32.to_le_bytes().to_vec();
    content.extend(header.as_bytes());
    chunk(&mut out, 2, &content);
    for block in frames.chunks(64) {
        let mut content = 1u32.to_le_bytes().to_vec();
        content.push(4);
        content.extend((block.len() as u32).to_le_bytes());
        for (t, v) in block {
            content.push(8);
            content.extend(t.to_le_bytes());
            for x in v {
                content.extend(x.to_le_bytes());
            }
        }
        chunk(&mut out, 3, &content);
    }
    out
}

#[test]
fn a_stream_declared_irregular_but_sampled_regularly_is_analysed_at_its_measured_rate() {
    let frames: Vec<(f64, Vec<f32>)> = (0..2560)
        .map(|i| {
            let t = i as f64 / 256.0;
            (
                50.0 + t,
                vec![20.0 * (std::f64::consts::TAU * 10.0 * t).sin() as f32],
            )
        })
        .collect();
    let p = std::env::temp_dir().join(format!("ms-zero-rate-{}.xdf", std::process::id()));
    std::fs::write(&p, xdf_bytes("Amp", "EEG", 0.0, &["O1"], &frames)).unwrap();
    let rec = open(&p, &ReadOptions::default()).unwrap();
    std::fs::remove_file(&p).ok();
    assert_eq!(rec.sample_rate, 256.0);
    assert!(
        rec.warnings
            .iter()
            .any(|w| w.contains("irregular rate (0 Hz)")),
        "{:?}",
        rec.warnings
    );
    assert_alpha("zero-rate xdf", &rec);
}
