//! librosa's log-mel frames of the speech demo's sample recordings (every 8th frame, written by
//! `scripts/logmel_reference.py` into `tests/fixtures/logmel_reference.json`) and the comparison
//! that the native test (`tests/suite/speech.rs`) and the browser test (the app's
//! `tests/browser.rs`, through `#[path]`) both make: the same frames on both, within the same
//! tolerance of librosa.
//!
//! The recordings are not committed: `cargo xtask setup` unpacks them from pinned packages.

use lab_core::speech::audio::{self, LogMel};
use serde_json::Value;

pub const RECORDINGS: [(&str, &[u8]); 2] = [
    (
        "arctic_a0007.wav",
        include_bytes!("../../../../../www/assets/speech/arctic_a0007.wav"),
    ),
    (
        "jfk.wav",
        include_bytes!("../../../../../www/assets/speech/jfk.wav"),
    ),
];
const FIXTURE: &str = include_str!("../../fixtures/logmel_reference.json");

/// The largest difference from librosa allowed on bands louder than [`LOUD_DB`]: librosa runs
/// numpy's FFT on float32 input, the lab realfft in f32. Measured natively on 2026-12-03:
/// 0.00008 dB (arctic) and 0.0003 dB (jfk); the fixture rounds to 0.0001 dB.
pub const LOUD_TOLERANCE_DB: f32 = 0.005;
/// Quiet bands amplify rounding (a small power's dB moves further for the same error): measured
/// 0.0002 and 0.0027 dB.
pub const QUIET_TOLERANCE_DB: f32 = 0.05;
pub const LOUD_DB: f32 = -60.0;

/// How far one recording's frames are from librosa's.
#[derive(Debug)]
pub struct Difference {
    pub frames: usize,
    pub expected_frames: usize,
    /// Largest |lab − librosa| in dB over the loud bands, and over the quiet ones.
    pub loud: f32,
    pub quiet: f32,
}

/// Decodes `wav`, computes its frames in one pass, and compares the sampled ones with librosa's.
pub fn compare(file: &str, wav: &[u8]) -> Difference {
    let reference: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    let every = reference["every"].as_u64().expect("every") as usize;
    let expected = &reference["recordings"][file];
    let frames = LogMel::frames(&audio::read_wav(wav).expect("a 16 kHz mono WAV"));
    let (mut loud, mut quiet) = (0.0f32, 0.0f32);
    let sampled = expected["sampled"].as_array().expect("sampled frames");
    for (row, frame) in sampled.iter().zip(frames.iter().step_by(every)) {
        for (want, got) in row.as_array().expect("a frame").iter().zip(frame.mel) {
            let want = want.as_f64().expect("a number") as f32;
            let diff = (want - got).abs();
            if want > LOUD_DB {
                loud = loud.max(diff);
            } else {
                quiet = quiet.max(diff);
            }
        }
    }
    Difference {
        frames: frames.len(),
        expected_frames: expected["frames"].as_u64().expect("frames") as usize,
        loud,
        quiet,
    }
}
