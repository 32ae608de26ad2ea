//! The CLAP remote-control pages (hardware controllers and host control surfaces): the
//! parameters a session needs at hand, eight per page.

use nice_plug::prelude::{RemoteControlsContext, RemoteControlsPage, RemoteControlsSection};

use super::MelodiaSyncParams;

/// Adds MelodiaSync's sections and pages to `context` (called by the host through
/// `ClapPlugin::remote_controls`).
pub fn pages(p: &MelodiaSyncParams, context: &mut impl RemoteControlsContext) {
    context.add_section("Feedback", |section| {
        section.add_page("Feedback", |page| {
            page.add_param(&p.program);
            page.add_param(&p.feedback_depth);
            page.add_param(&p.targets[0].position);
            page.add_param(&p.ceilings[0].position);
            page.add_param(&p.adaptive);
            page.add_param(&p.freeze);
            page.add_param(&p.success_rate);
            page.add_param(&p.reward_smoothing);
        });
        section.add_page("Adaptation and breath", |page| {
            page.add_param(&p.adaptation);
            page.add_param(&p.targets[1].position);
            page.add_param(&p.targets[2].position);
            page.add_param(&p.ceilings[1].position);
            page.add_param(&p.stale_hold);
            page.add_param(&p.pacer);
            page.add_param(&p.pacer_rate);
            page.add_param(&p.pacer_glide);
        });
    });
    context.add_section("Sound", |section| {
        section.add_page("Layers", |page| {
            page.add_param(&p.relaxation);
            page.add_param(&p.drone_level);
            page.add_param(&p.binaural_level);
            page.add_param(&p.isochronic_level);
            page.add_param(&p.noise_level);
            page.add_param(&p.chime_level);
            page.add_param(&p.tone);
            page.add_param(&p.reverb_mix);
        });
        section.add_page("Entrainment", |page| {
            page.add_param(&p.beat_hz);
            page.add_param(&p.carrier_hz);
            page.add_param(&p.pulse_tone_hz);
            page.add_param(&p.glide);
            page.add_param(&p.root_note);
            page.add_param(&p.chord);
            page.add_param(&p.drift);
            page.add_param(&p.output_db);
        });
    });
}
