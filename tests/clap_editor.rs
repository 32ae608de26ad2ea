//! The editor opened and closed again and again (embedded in a real X11 window on a virtual
//! display, through the CLAP GUI extension) while another thread renders audio: the output
//! stays finite and is bit-identical to a render with no editor at all — the editor never
//! disturbs the audio thread.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clack_extensions::gui::{GuiApiType, GuiConfiguration, PluginGui, Window};
use clack_host::prelude::PluginAudioConfiguration;
use support::clap_harness::*;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, WindowClass};
use x11rb::COPY_DEPTH_FROM_PARENT;

const SR: f64 = 48_000.0;

/// A private virtual display for this test.
struct Xvfb(Child);

impl Xvfb {
    fn start(display: &str) -> Self {
        let child = Command::new("Xvfb")
            .args([display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed by scripts/deps.sh");
        std::thread::sleep(Duration::from_millis(1500));
        Xvfb(child)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether the top-left of `window` shows more than one flat colour.
fn window_has_content(conn: &impl Connection, window: u32) -> bool {
    use x11rb::protocol::xproto::ImageFormat;
    let Ok(cookie) = conn.get_image(ImageFormat::Z_PIXMAP, window, 0, 0, 400, 200, !0) else {
        return false;
    };
    let Ok(image) = cookie.reply() else {
        return false;
    };
    let px: std::collections::HashSet<&[u8]> = image.data.chunks(4).collect();
    px.len() > 20
}

#[test]
fn opening_and_closing_the_editor_never_disturbs_the_audio() {
    let display = format!(":{}", 150 + std::process::id() % 50);
    let _x = Xvfb::start(&display);
    // SAFETY: set before the plugin (and any of its threads) starts; this binary has one test.
    unsafe { std::env::set_var("DISPLAY", &display) };
    let (conn, screen_num) = x11rb::connect(Some(&display)).expect("connect to Xvfb");
    let screen = &conn.setup().roots[screen_num];
    let parent = conn.generate_id().unwrap();
    conn.create_window(
        COPY_DEPTH_FROM_PARENT,
        parent,
        screen.root,
        0,
        0,
        1000,
        700,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new(),
    )
    .unwrap();
    conn.map_window(parent).unwrap();
    conn.flush().unwrap();

    let entry = load_entry();
    let frames = (8.0 * SR) as usize;
    // Reference: the same instance setup, no editor.
    let mut quiet = instantiate(&entry);
    let reference = render_with(&mut quiet, SR, frames, |_| 512, &[], false);

    let mut inst = instantiate(&entry);
    let config = PluginAudioConfiguration {
        sample_rate: SR,
        min_frames_count: 1,
        max_frames_count: 4096,
    };
    let processor = inst.activate(|_, _| (), config).expect("activate");
    let audio = std::thread::spawn(move || play(processor, SR, frames, |_| 512, &[], true));

    let handle = inst.plugin_handle();
    let gui: PluginGui = handle.get_extension().expect("the plugin has a GUI");
    let x11 = GuiConfiguration {
        api_type: GuiApiType::X11,
        is_floating: false,
    };
    let mut opened = 0;
    let mut drawn = 0;
    for _ in 0..6 {
        let handle = inst.plugin_handle();
        gui.create(&handle, x11).expect("create the editor");
        // SAFETY: `parent` lives until the end of the test, after the last destroy.
        unsafe { gui.set_parent(&handle, Window::from_x11_handle(parent as _)) }
            .expect("embed the editor");
        gui.show(&handle).expect("show");
        std::thread::sleep(Duration::from_millis(700));
        if window_has_content(&conn, parent) {
            drawn += 1;
        }
        gui.hide(&handle).expect("hide");
        gui.destroy(&handle);
        opened += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    let (out, stopped) = audio.join().expect("audio thread");
    inst.deactivate(stopped);
    assert_eq!(opened, 6);
    // The editor really drew into the host's window (Mesa software GL on the virtual display).
    assert!(drawn >= 4, "the editor drew in only {drawn} of 6 openings");
    assert!(out.left.iter().chain(&out.right).all(|x| x.is_finite()));
    assert_eq!(out.left.len(), frames);
    assert_eq!(out.left, reference.left, "the editor changed the audio");
    assert_eq!(out.right, reference.right);
}
