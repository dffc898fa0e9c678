//! The `capas` command and the course labs.
//!
//! # Layout
//!
//! | module | concept |
//! | --- | --- |
//! | [`cli`] | the `capas` command: Docker's image commands over a capas store, one file a command |
//! | [`clock`] | where "now" comes from: an injectable clock, so relative times are deterministic |
//! | [`format`](mod@format) | Docker's human formats: sizes, durations, truncated IDs and the table writer |
//! | [`lab`] | the labs: walk-throughs, exercises, checks, hints, progress, in Spanish and English |

pub mod cli;
pub mod clock;
pub mod format;
pub mod lab;
pub mod template;
