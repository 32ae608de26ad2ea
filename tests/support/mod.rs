//! Shared test helpers.
pub mod analysis;
pub mod clap_harness;
