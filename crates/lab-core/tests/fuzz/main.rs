//! Fuzz targets for lab-core's entry points that read bytes or text from outside the program:
//! photos, model manifests, typed text, and the demos' data files. Each target replays its
//! corpus (`tests/fuzz-corpus/<target>/`), then runs random mutations of it through the entry
//! point and asserts properties of what comes back, not only that nothing panicked.
//!
//! In `cargo test` each target runs briefly (see [`harness::Budget`]) with a fixed seed, so the
//! normal test path stays deterministic; `cargo xtask fuzz --seconds N` runs each for N seconds
//! with a fresh seed and prints the figures. The first failure of a target is shrunk to its
//! fewest mutations, written under the target folder's `fuzz-crashes/`, and fails the test; a
//! fixed crash's input goes into the corpus as a regression.
//!
//! Its own test binary, not a module of `suite`: nothing here builds a tensor, so the link
//! leaves burn's backends out (`suite` links all three), and `cargo xtask fuzz` builds this
//! binary alone.

mod harness;
mod json;
mod manifests;
mod mutate;
mod photo;
#[path = "../suite/common/photo_files.rs"]
mod photo_files;
mod readers;
mod seeds;
mod text;
