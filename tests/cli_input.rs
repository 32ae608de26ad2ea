//! The command line as a new user meets it (issue 28): a bad number, a file that is not what
//! the option takes or a value beyond a parameter's range is refused with one sentence and a
//! failing exit status, before anything runs; a recording renders whole; every render ends in
//! a fade, not a cut. Each case runs the real `melodiasync` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the CLI with `args` (and the environment `env`), in `dir`.
fn cli(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_melodiasync"));
    cmd.args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the CLI runs")
}

/// Its standard error, as text.
fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh folder for one test's files.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("melodiasync-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asserts `out` failed with a sentence containing every piece of `says`, and no panic.
fn refused(out: &Output, says: &[&str]) {
    let err = stderr(out);
    assert!(!out.status.success(), "accepted; stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    for s in says {
        assert!(err.contains(s), "expected '{s}' in: {err}");
    }
}

/// Writes a CSV recording: `seconds` of 4 channels at 250 Hz (a 10 Hz rhythm on noise-free
/// sines), with a time column.
fn write_csv(path: &Path, seconds: f64) {
    let mut text = String::from("time,O1,O2,P3,P4\n");
    let n = (seconds * 250.0) as usize;
    for i in 0..n {
        let t = i as f64 / 250.0;
        let x = 10.0 * (std::f64::consts::TAU * 10.0 * t).sin();
        let y = 4.0 * (std::f64::consts::TAU * 21.0 * t).sin();
        text.push_str(&format!("{t:.4},{x:.3},{y:.3},{:.3},{:.3}\n", x + y, x - y));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn set_beyond_a_parameters_range_is_refused_with_the_range() {
    let dir = folder("set");
    for set in ["beat=100", "out=+20", "out=-100", "relax=150", "beat=NaN"] {
        let out = cli(
            &dir,
            &["render", "--seconds", "1", "--out", "x.wav", "--set", set],
            &[],
        );
        refused(&out, &["outside the range", " to "]);
        assert!(!dir.join("x.wav").exists(), "--set {set} rendered anyway");
    }
    let ok = cli(
        &dir,
        &[
            "render",
            "--seconds",
            "0.5",
            "--out",
            "x.wav",
            "--set",
            "beat=6",
        ],
        &[],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn a_setup_must_be_a_setup() {
    let dir = folder("setup");
    let preset = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/calm.json");
    std::fs::write(dir.join("hello.json"), r#"{"hello": 1}"#).unwrap();
    std::fs::write(dir.join("empty.json"), "{}").unwrap();
    std::fs::write(
        dir.join("summary.json"),
        r#"{"duration_s": 60.0, "frames": 3000, "time_in_target": 0.5}"#,
    )
    .unwrap();
    std::fs::write(dir.join("list.json"), "[1, 2]").unwrap();
    for file in [
        preset.to_str().unwrap(),
        "hello.json",
        "empty.json",
        "summary.json",
        "list.json",
    ] {
        let out = cli(
            &dir,
            &[
                "render",
                "--seconds",
                "1",
                "--out",
                "x.wav",
                "--setup",
                file,
            ],
            &[],
        );
        refused(
            &out,
            &["is not a MelodiaSync setup", "melodiasync calibrate"],
        );
    }
    // A real one, from calibrate, is taken, and the render says the targets it starts at:
    // the ones calibrate printed.
    let made = cli(
        &dir,
        &[
            "calibrate",
            "--eeg",
            "sim:eyes-closed",
            "--seconds",
            "10",
            "--out",
            "setup.json",
        ],
        &[],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let printed = String::from_utf8_lossy(&made.stdout);
    let calm: Vec<&str> = printed
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.first() == Some(&"calm"))
        .expect("calibrate prints Calm's targets");
    // "calm reward alpha_rel Up 0.266; inhibit ..."
    assert_eq!(calm[1..4], ["reward", "alpha_rel", "Up"]);
    let target = calm[4].trim_end_matches(';');
    let ok = cli(
        &dir,
        &[
            "render",
            "--eeg",
            "sim",
            "--seconds",
            "1",
            "--out",
            "x.wav",
            "--setup",
            "setup.json",
            "--log",
            "x.csv",
        ],
        &[],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let said = String::from_utf8_lossy(&ok.stdout);
    let line =
        format!("setup: a calibration (eyes closed); Calm starts at reward alpha_rel Up {target}");
    assert!(said.contains(&line), "{said}");
    // The log's first target is the calibrated one.
    let log = std::fs::read_to_string(dir.join("x.csv")).unwrap();
    let mut lines = log.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "target_1").unwrap();
    let first: f64 = lines
        .next()
        .unwrap()
        .split(',')
        .nth(col)
        .unwrap()
        .parse()
        .unwrap();
    let want: f64 = target.parse().unwrap();
    assert!(
        (first - want).abs() < 1e-3,
        "log starts at {first}, calibrate said {want}"
    );
}

#[test]
fn program_and_set_program_together_are_refused() {
    let dir = folder("program");
    let out = cli(
        &dir,
        &[
            "render",
            "--seconds",
            "1",
            "--out",
            "x.wav",
            "--program",
            "calm",
            "--set",
            "program=SMR focus",
        ],
        &[],
    );
    refused(&out, &["--program", "give one"]);
}

#[test]
fn params_lists_what_each_takes_and_choices_read_in_any_spelling() {
    let dir = folder("params");
    let out = cli(&dir, &["params", "--json"], &[]);
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let adapt = rows.iter().find(|r| r["id"] == "adapttime").unwrap();
    assert_eq!(adapt["default"], "Program");
    assert!(
        adapt["values"]
            .as_str()
            .unwrap()
            .ends_with("| 60 min | Off"),
        "{adapt}"
    );
    let beat = rows.iter().find(|r| r["id"] == "beat").unwrap();
    assert_eq!(beat["values"], "0.50 Hz to 40.00 Hz");
    for spelling in ["Off", "off", "10min", "10 MIN", "program"] {
        let set = format!("adapttime={spelling}");
        let out = cli(
            &dir,
            &[
                "render",
                "--seconds",
                "0.2",
                "--out",
                "x.wav",
                "--set",
                &set,
            ],
            &[],
        );
        assert!(out.status.success(), "{spelling}: {}", stderr(&out));
    }
    let out = cli(
        &dir,
        &[
            "render",
            "--seconds",
            "0.2",
            "--out",
            "x.wav",
            "--set",
            "adapttime=5",
        ],
        &[],
    );
    refused(&out, &["choose one of Program, 30 s"]);
}

#[test]
fn a_render_longer_than_a_wav_file_holds_is_refused_before_it_starts() {
    let dir = folder("wav");
    // 48 kHz stereo float: 384 000 bytes a second, so 4 GiB is 11 184 s.
    let started = std::time::Instant::now();
    let out = cli(
        &dir,
        &["render", "--seconds", "20000", "--out", "x.wav"],
        &[],
    );
    refused(&out, &["4 GiB", "11184 s"]);
    assert!(started.elapsed().as_secs_f64() < 10.0, "it rendered first");
    assert!(!dir.join("x.wav").exists() && !dir.join("x.wav.part").exists());
    // At 96 kHz a WAV file holds half as long.
    let fits = cli(
        &dir,
        &[
            "render",
            "--seconds",
            "20000",
            "--sample-rate",
            "96000",
            "--out",
            "y.wav",
        ],
        &[],
    );
    refused(&fits, &["5592 s"]);
}

#[test]
fn an_extra_band_may_not_repeat_a_standard_band_or_another() {
    let dir = folder("band");
    write_csv(&dir.join("rec.csv"), 4.0);
    for bands in [&["alpha:8-12"][..], &["mu:9-11", "Mu:8-10"], &["SMR:12-15"]] {
        let mut args = vec!["features", "rec.csv", "--out", "f.csv"];
        for b in bands {
            args.push("--band");
            args.push(b);
        }
        let out = cli(&dir, &args, &[]);
        refused(&out, &["--band", "name"]);
    }
    for bad in ["mu:-5-10", "mu:12-9", "mu:inf-10"] {
        let out = cli(&dir, &["features", "rec.csv", "--band", bad], &[]);
        refused(&out, &["is not a band"]);
    }
    let ok = cli(
        &dir,
        &["features", "rec.csv", "--out", "f.csv", "--band", "mu:9-11"],
        &[],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let header = std::fs::read_to_string(dir.join("f.csv")).unwrap();
    let header = header.lines().next().unwrap();
    let columns: Vec<&str> = header.split(',').collect();
    for (i, c) in columns.iter().enumerate() {
        assert!(!columns[..i].contains(c), "column {c} twice in {header}");
    }
    assert!(header.contains("mu_"), "{header}");
}

#[test]
fn a_program_whose_range_is_upside_down_is_not_imported() {
    let dir = folder("import");
    let presets = dir.join("user-presets");
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/calm.json"))
            .unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["name"] = "Upside down".into();
    json["program"]["rewards"][0]["min"] = 3.0.into();
    json["program"]["rewards"][0]["max"] = 0.3.into();
    std::fs::write(dir.join("upside.json"), json.to_string()).unwrap();
    let out = cli(
        &dir,
        &["preset", "import", "upside.json"],
        &[("MELODIASYNC_PRESET_DIR", &presets)],
    );
    refused(&out, &["between min and max"]);
    let kept = std::fs::read_dir(&presets).map_or(0, |d| d.count());
    assert_eq!(kept, 0, "the preset was written anyway");
}

#[test]
fn monitor_without_a_stream_says_so_and_fails() {
    let dir = folder("monitor");
    let out = cli(
        &dir,
        &[
            "monitor",
            "--name",
            "No-Such-Stream-For-This-Test",
            "--seconds",
            "3",
        ],
        &[],
    );
    refused(&out, &["No EEG arrived in 3 s"]);
}

#[test]
fn a_recording_renders_whole_by_default() {
    let dir = folder("whole");
    write_csv(&dir.join("rec.csv"), 7.5);
    let out = cli(&dir, &["render", "--eeg", "rec.csv", "--out", "x.wav"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("the whole recording: 7.5 s"), "{said}");
    let wav = hound::WavReader::open(dir.join("x.wav")).unwrap();
    let seconds = wav.duration() as f64 / wav.spec().sample_rate as f64;
    assert!((seconds - 7.5).abs() < 1e-3, "{seconds} s");
    // --seconds still sets another length.
    let out = cli(
        &dir,
        &[
            "render",
            "--eeg",
            "rec.csv",
            "--seconds",
            "3",
            "--out",
            "y.wav",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let wav = hound::WavReader::open(dir.join("y.wav")).unwrap();
    assert_eq!(wav.duration(), 3 * 48_000);
}

#[test]
fn every_render_ends_in_a_fade_not_a_cut() {
    let dir = folder("fade");
    let out = cli(
        &dir,
        &[
            "render",
            "--seconds",
            "3",
            "--set",
            "relax=100",
            "--out",
            "x.wav",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut wav = hound::WavReader::open(dir.join("x.wav")).unwrap();
    let x: Vec<f32> = wav.samples::<f32>().map(|s| s.unwrap()).collect();
    let left: Vec<f32> = x.iter().step_by(2).copied().collect();
    let rms = |a: usize, b: usize| {
        (left[a..b].iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / (b - a) as f64).sqrt()
    };
    let n = left.len();
    let ms = |m: usize| m * 48;
    // The last sample is silent; the last 5 ms are far below the 50 ms before the fade.
    assert!(left[n - 1].abs() < 1e-6, "last sample {}", left[n - 1]);
    let before = rms(n - ms(100), n - ms(50));
    assert!(before > 1e-3, "the sound before the fade is {before}");
    assert!(
        rms(n - ms(5), n) < 0.02 * before,
        "{} vs {before}",
        rms(n - ms(5), n)
    );
}

#[test]
fn standalone_help_names_its_own_options() {
    let dir = folder("standalone");
    let out = cli(&dir, &["standalone", "--help"], &[]);
    let said = String::from_utf8_lossy(&out.stdout);
    for option in ["--eeg SOURCE", "--heart SOURCE", "--heart-type KIND"] {
        assert!(said.contains(option), "{said}");
    }
}
