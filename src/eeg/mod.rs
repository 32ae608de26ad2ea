//! The EEG side: sources and (with the LSL issue) the worker thread. This is one of the two
//! places that do I/O; `features/` stays pure.

pub mod recording;
