//! 16 kHz audio into log-mel frames, as librosa computes them: a periodic Hann window of
//! [`FFT_SIZE`] samples every [`HOP`] samples (no centring padding, so a stream's frames are final
//! as soon as their samples arrive), the power spectrum through realfft, librosa's Slaney-style
//! mel filterbank (`librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, fmin=20, fmax=8000)`) and
//! `10·log10(max(power, 1e-10))` (`librosa.power_to_db` with `ref=1`, `top_db=None`).
//! `tests/suite/speech.rs` checks the frames against librosa's on the sample recordings.

use std::io::Cursor;
use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

/// Samples per second everything here works at; the page asks Web Audio for this rate.
pub const SAMPLE_RATE: u32 = 16_000;
/// Samples per analysis window (32 ms).
pub const FFT_SIZE: usize = 512;
/// Samples between two frames (10 ms): 100 frames a second.
pub const HOP: usize = 160;
/// Mel bands per frame.
pub const MEL_BANDS: usize = 40;
/// The filterbank's lowest and highest frequencies (Hz); the top is the Nyquist frequency.
const MIN_HZ: f64 = 20.0;
const MAX_HZ: f64 = SAMPLE_RATE as f64 / 2.0;
/// librosa's `amin`: powers below it read as -100 dB.
const POWER_FLOOR: f32 = 1e-10;
/// Recordings longer than this are refused rather than decoded (the page has no use for more).
pub const MAX_SECONDS: u32 = 120;

/// A sample recording the page serves (www/assets/speech/, unpacked by `cargo xtask setup`),
/// pinned by size and sha256.
pub struct Recording {
    pub id: &'static str,
    pub file: &'static str,
    pub size: u64,
    pub sha256: &'static str,
    /// What it is, zh and en.
    pub title: (&'static str, &'static str),
}

pub const RECORDINGS: [Recording; 2] = [
    Recording {
        id: "arctic",
        file: "arctic_a0007.wav",
        size: 128_044,
        sha256: "1b850392f8c87ee2efe5a686523f1bab61d2a38d59bc43d1127e17e406f9e57d",
        title: (
            "CMU ARCTIC 朗读句子（4 秒）",
            "CMU ARCTIC read sentence (4 s)",
        ),
    },
    Recording {
        id: "jfk",
        file: "jfk.wav",
        size: 352_078,
        sha256: "59dfb9a4acb36fe2a2affc14bacbee2920ff435cb13cc314a08c13f66ba7860e",
        title: (
            "肯尼迪就职演说片段（11 秒）",
            "JFK's inaugural address, excerpt (11 s)",
        ),
    },
];

/// One 10 ms step of sound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// Log-mel power per band, in dB, low to high frequencies.
    pub mel: [f32; MEL_BANDS],
    /// The window's mean squared sample in dB (0 dB: a full-scale square wave), unwindowed.
    pub energy_db: f32,
}

/// A mono 16-bit or float WAV at [`SAMPLE_RATE`] as samples in [-1, 1] (integers scaled by 1/32768,
/// as librosa reads them), or why it cannot be used.
pub fn read_wav(bytes: &[u8]) -> Result<Vec<f32>, String> {
    let reader =
        hound::WavReader::new(Cursor::new(bytes)).map_err(|e| format!("not a WAV file: {e}"))?;
    let spec = reader.spec();
    if spec.channels != 1 || spec.sample_rate != SAMPLE_RATE {
        return Err(format!(
            "expected mono {SAMPLE_RATE} Hz audio, got {} channel(s) at {} Hz",
            spec.channels, spec.sample_rate
        ));
    }
    if reader.duration() > MAX_SECONDS * SAMPLE_RATE {
        return Err(format!("longer than {MAX_SECONDS} s"));
    }
    let samples: Result<Vec<f32>, _> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => reader
            .into_samples::<i16>()
            .map(|s| s.map(|s| f32::from(s) / 32_768.0))
            .collect(),
        (hound::SampleFormat::Float, 32) => reader.into_samples::<f32>().collect(),
        (format, bits) => return Err(format!("unsupported sample format {format:?} {bits}-bit")),
    };
    let samples = samples.map_err(|e| format!("truncated or damaged WAV data: {e}"))?;
    // Float data can hold NaN or infinity, which would turn every log-mel frame and training
    // step it reaches into NaN: damaged data, refused like a truncated file.
    if samples.iter().any(|s| !s.is_finite()) {
        return Err("damaged WAV data: a sample is not a finite number".into());
    }
    Ok(samples)
}

/// The streaming log-mel analyser: push samples as they come, get each frame once its window is
/// complete.
pub struct LogMel {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// Per band, the first FFT bin it covers and its weights from there on.
    filters: Vec<(usize, Vec<f32>)>,
    /// Samples not yet consumed by a frame (less than a window plus one push).
    pending: Vec<f32>,
    input: Vec<f32>,
    spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl Default for LogMel {
    fn default() -> Self {
        Self::new()
    }
}

impl LogMel {
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT_SIZE);
        let window = (0..FFT_SIZE)
            .map(|n| {
                let phase = 2.0 * std::f64::consts::PI * n as f64 / FFT_SIZE as f64;
                (0.5 - 0.5 * libm::cos(phase)) as f32
            })
            .collect();
        Self {
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            window,
            filters: mel_filters(),
            pending: Vec::with_capacity(2 * FFT_SIZE),
        }
    }

    /// The frames of one whole recording (its last partial window is dropped).
    pub fn frames(samples: &[f32]) -> Vec<Frame> {
        Self::new().push(samples)
    }

    /// Appends `samples` and returns every frame whose window is now complete.
    pub fn push(&mut self, samples: &[f32]) -> Vec<Frame> {
        self.pending.extend_from_slice(samples);
        let count = if self.pending.len() >= FFT_SIZE {
            (self.pending.len() - FFT_SIZE) / HOP + 1
        } else {
            0
        };
        let frames = (0..count).map(|i| self.frame(i * HOP)).collect();
        self.pending.drain(..count * HOP);
        frames
    }

    fn frame(&mut self, start: usize) -> Frame {
        let samples = &self.pending[start..start + FFT_SIZE];
        let mean_square = samples.iter().map(|s| s * s).sum::<f32>() / FFT_SIZE as f32;
        for ((x, s), w) in self.input.iter_mut().zip(samples).zip(&self.window) {
            *x = s * w;
        }
        self.fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .expect("buffers come from the plan");
        let mut mel = [0.0; MEL_BANDS];
        for (band, (first, weights)) in mel.iter_mut().zip(&self.filters) {
            let power: f32 = weights
                .iter()
                .zip(&self.spectrum[*first..])
                .map(|(w, c)| w * c.norm_sqr())
                .sum();
            *band = decibels(power);
        }
        Frame {
            mel,
            energy_db: decibels(mean_square),
        }
    }
}

fn decibels(power: f32) -> f32 {
    10.0 * libm::log10f(power.max(POWER_FLOOR))
}

/// librosa's Slaney mel scale: linear below 1 kHz (3 bands per 200 Hz), logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    const LINEAR_STEP: f64 = 200.0 / 3.0;
    let log_step = libm::log(6.4) / 27.0;
    if hz >= 1000.0 {
        1000.0 / LINEAR_STEP + libm::log(hz / 1000.0) / log_step
    } else {
        hz / LINEAR_STEP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    const LINEAR_STEP: f64 = 200.0 / 3.0;
    let log_step = libm::log(6.4) / 27.0;
    let knee = 1000.0 / LINEAR_STEP;
    if mel >= knee {
        1000.0 * libm::exp(log_step * (mel - knee))
    } else {
        mel * LINEAR_STEP
    }
}

/// Triangles between neighbouring mel-spaced frequencies, each scaled to unit area (Slaney
/// normalisation), computed in f64 as librosa does and stored sparse.
fn mel_filters() -> Vec<(usize, Vec<f32>)> {
    let bins = FFT_SIZE / 2 + 1;
    let (low, high) = (hz_to_mel(MIN_HZ), hz_to_mel(MAX_HZ));
    let edges: Vec<f64> = (0..MEL_BANDS + 2)
        .map(|i| mel_to_hz(low + (high - low) * i as f64 / (MEL_BANDS + 1) as f64))
        .collect();
    let bin_hz = |k: usize| k as f64 * f64::from(SAMPLE_RATE) / FFT_SIZE as f64;
    (0..MEL_BANDS)
        .map(|band| {
            let (left, centre, right) = (edges[band], edges[band + 1], edges[band + 2]);
            let area = 2.0 / (right - left);
            let weights: Vec<f64> = (0..bins)
                .map(|k| {
                    let f = bin_hz(k);
                    let rising = (f - left) / (centre - left);
                    let falling = (right - f) / (right - centre);
                    rising.min(falling).max(0.0) * area
                })
                .collect();
            let first = weights.iter().position(|&w| w > 0.0).unwrap_or(0);
            let last = weights.iter().rposition(|&w| w > 0.0).unwrap_or(first);
            (
                first,
                weights[first..=last].iter().map(|&w| w as f32).collect(),
            )
        })
        .collect()
}
