//! Shared test helpers.
pub mod analysis;
pub mod clap_harness;
pub mod loop_trace;

/// A host's block sizes: `f(i)` is the size of block `i`.
pub type BlockPattern = Box<dyn FnMut(usize) -> usize>;

/// The block-size patterns every host-facing test runs: the extremes hosts use (1 and 4096),
/// a typical size, and a size that changes every block (deterministic, 1..=4096).
#[allow(dead_code)]
pub fn block_patterns() -> Vec<(&'static str, BlockPattern)> {
    vec![
        ("1", Box::new(|_| 1)),
        ("64", Box::new(|_| 64)),
        ("4096", Box::new(|_| 4096)),
        ("varying", Box::new(|i| 1 + (i * 2_654_435_761usize) % 4096)),
    ]
}
